"""The run folder: what a run writes where. Every file goes through a temp file and a rename.

    config.yaml          the resolved config (what --resume reads back)
    data_report.json     what was loaded, what was skipped and why
    metrics.csv          images, iterations, the task's losses and scalars, gradient norms, lr, img/s
    samples/             reals.png and a grid on fixed noise every sample_every images
    losses.png           loss curves, redrawn with every grid
    checkpoints/         ckpt-<images>.safetensors, the last keep_checkpoints of them
    metrics-eval.csv     with train.eval_every: scores of the EMA generator (evaluation/training.py),
    metrics.png          their curves, and best.safetensors, the checkpoint of the best score
    report.html          the self-contained report page, written when the run finishes
    run.json             status (running/finished/interrupted/failed), timing, versions, notes
    tensorboard/         events, with the tensorboard logger sink (ganforge/loggers)
    wandb/               W&B's files, with the wandb logger sink
    trackers.json        the W&B / MLflow run ids a resume continues (loggers/tracker_runs.py)

Under torchrun only rank 0 holds an active RunFolder; the others' writes are no-ops.

A new run's folder appears whole: its first files (config, data report, metrics header, reals,
run.json) are written into a temporary folder that is renamed into place (``RunFolder.staged``,
``atomic.atomic_dir``); if any of them fails, nothing is left, not even the parent folders the
run made. metrics.csv is the one file appended to: a row that a full disk or a kill cut short is
cut off again (``append_metrics``), and dropped when the run resumes (``prepare``). Temporary files
that killed writers left are swept when a run starts or resumes and when it finishes (``sweep``).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ganforge.atomic import atomic_dir, sweep_stale_temp_dirs, sweep_stale_temp_files
from ganforge.errors import GanforgeError
from ganforge.images import atomic_write_bytes

SWEPT = ("", "checkpoints", "samples", "eval")
"""Sub-folders of a run folder (and itself) where ganforge writes files through temporary ones."""


def new_run_path(out_dir: str | Path, name: str) -> Path:
    """OUT_DIR/DATE-NAME, with -1, -2, ... when that folder exists."""
    stamp = _dt.datetime.now().strftime("%Y-%m-%d-%H%M%S")
    base = Path(out_dir) / f"{stamp}-{name}"
    path, i = base, 1
    while path.exists():
        path, i = Path(f"{base}-{i}"), i + 1
    return path


def check_writable(folder: str | Path, what: str) -> None:
    """Fail at once, before any data is read, when ``folder`` (a run folder, or where run folders
    go: ``what`` names it) cannot be written: a file in the way, a read-only file system, no
    permission. A missing folder is fine when its nearest existing parent is writable."""
    folder = Path(folder)
    probe = folder
    while not probe.exists() and not probe.is_symlink() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise GanforgeError(f"{what} {folder} cannot be written: {probe} is not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise GanforgeError(
            f"{what} {folder} cannot be written: {probe} is read-only or not writable by this "
            "user; choose another folder"
        )


def sweep(run_dir: Path) -> str | None:
    """Remove the temporary files killed writers left in ``run_dir`` (``SWEPT``) and the
    temporary run folders left beside it; a one-line note of what went, or None."""
    removed = [
        f"{sub}/{name}" if sub else name
        for sub in SWEPT
        for name in sweep_stale_temp_files(run_dir / sub)
    ]
    removed += sweep_stale_temp_dirs(run_dir.parent)
    if not removed:
        return None
    shown = ", ".join(removed[:3]) + (f" and {len(removed) - 3} more" if len(removed) > 3 else "")
    return f"removed {len(removed)} temporary file(s) that an interrupted run left: {shown}"


def write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode())


class RunFolder:
    def __init__(self, path: Path, active: bool = True) -> None:
        self.path = Path(path)
        self.active = active

    @property
    def metrics(self) -> Path:
        return self.path / "metrics.csv"

    @contextlib.contextmanager
    def staged(self) -> Iterator[Path]:
        """For a new run: ``path`` is a temporary folder while the block writes the first files,
        renamed to the real ``path`` when it succeeds and removed (with the parent folders it
        made) when it fails. Yields the temporary folder."""
        final = self.path
        if not self.active:
            yield final
            return
        with atomic_dir(final) as tmp:
            self.path = tmp
            try:
                yield tmp
            finally:
                self.path = final

    def prepare(
        self, config_yaml: str, data_report: dict[str, Any], columns: list[str], images_seen: int
    ) -> None:
        """Folders, config and data report; a new metrics.csv, or the resumed one without the rows
        logged after the checkpoint it resumes from (they are about to be replayed)."""
        if not self.active:
            return
        (self.path / "samples").mkdir(parents=True, exist_ok=True)
        write_text(self.path / "config.yaml", config_yaml)
        write_text(self.path / "data_report.json", json.dumps(data_report, indent=2) + "\n")
        if images_seen == 0 or not self.metrics.exists():
            write_text(self.metrics, ",".join(columns) + "\n")
            return
        text = self.metrics.read_text(errors="replace")
        rows = text.split("\n")[:-1]  # a last row without its newline was cut short: dropped
        if rows and rows[0].split(",") == [_RENAMED.get(c, c) for c in columns]:
            rows[0] = ",".join(columns)  # a run of an earlier version: its columns' new names
        keep = (rows[:1] or [",".join(columns)]) + [
            r for r in rows[1:] if _images(r) is not None and _images(r) <= images_seen
        ]
        write_text(self.metrics, "\n".join(keep) + "\n")

    def append_metrics(self, row: dict[str, Any], columns: list[str]) -> None:
        """One row of metrics.csv (the logger sinks get it from the Trainer)."""
        if not self.active:
            return
        line = ",".join(
            ""
            if row.get(c) is None
            else (f"{row[c]:.6g}" if isinstance(row[c], float) else str(row[c]))
            for c in columns
        )
        _append(self.metrics, (line + "\n").encode())

    def write_status(self, info: dict[str, Any]) -> None:
        if self.active:
            write_text(self.path / "run.json", json.dumps(info, indent=2) + "\n")


_RENAMED = {"iterations": "g_steps"}
"""metrics.csv columns renamed since earlier versions: new name -> old (a resumed run's header)."""


def _images(row: str) -> int | None:
    """The images column of a metrics.csv row; None for a row that is not one (cut short)."""
    first = row.split(",", 1)[0]
    return int(first) if first.isdigit() else None


def _append(path: Path, data: bytes) -> None:
    """Append ``data`` whole or not at all: a write cut short (a full disk) is cut off again."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        start = os.fstat(fd).st_size
        try:
            done = os.write(fd, data)
            if done != len(data):
                raise OSError(
                    errno.ENOSPC, os.strerror(errno.ENOSPC), str(path)
                )  # a short write: the disk is full
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, start)
            raise
    finally:
        os.close(fd)
