"""``RUN/trackers.json``: the id of the run each experiment tracker (W&B, MLflow) logs a ganforge
run to, so that a resumed run continues the same tracker run instead of starting a second one.

One JSON object, sink name -> that tracker's run id, written whole (temp file + rename) when a
tracker run is created; a resume reads it back. A run folder without the file (a new run, or one
trained before the sink was chosen) simply has no tracker run yet.
"""

from __future__ import annotations

import json
from pathlib import Path

from ganforge.atomic import atomic_write_bytes
from ganforge.errors import GanforgeError

TRACKERS_FILE = "trackers.json"


def tracker_run_id(run_dir: Path, sink: str) -> str | None:
    """The id of the tracker run ``sink`` logged ``run_dir`` to before, or None."""
    path = Path(run_dir) / TRACKERS_FILE
    if not path.exists():
        return None
    try:
        ids = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise GanforgeError(
            f"{path} cannot be read ({e}); delete it to start new tracker runs"
        ) from None
    value = ids.get(sink) if isinstance(ids, dict) else None
    return value if isinstance(value, str) and value else None


def remember_tracker_run(run_dir: Path, sink: str, run_id: str) -> None:
    """Record that ``sink`` logs ``run_dir`` to its run ``run_id`` (the other sinks' ids kept)."""
    path = Path(run_dir) / TRACKERS_FILE
    ids = json.loads(path.read_text()) if path.exists() else {}
    ids[sink] = run_id
    atomic_write_bytes(path, (json.dumps(ids, indent=1, sort_keys=True) + "\n").encode())
