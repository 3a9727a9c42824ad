"""The run folder: what a run writes where. Every file goes through a temp file and a rename.

    config.yaml          the resolved config (what --resume reads back)
    data_report.json     what was loaded, what was skipped and why
    metrics.csv          images, losses, D(x), D(G(z)), gradient norms, lr, img/s
    samples/             reals.png and a grid on fixed noise every sample_every images
    losses.png           loss curves, redrawn with every grid
    checkpoints/         ckpt-<images>.safetensors, the last keep_checkpoints of them
    metrics-eval.csv     with train.eval_every: scores of the EMA generator (evaluation/training.py),
    metrics.png          their curves, and best.safetensors, the checkpoint of the best score
    report.html          the self-contained report page, written when the run finishes
    run.json             status (running/finished/interrupted/failed), timing, versions, notes
    tensorboard/         events, when tensorboard is installed

Under torchrun only rank 0 holds an active RunFolder; the others' writes are no-ops.
"""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path
from typing import Any

from ganforge.images import atomic_write_bytes


def new_run_path(out_dir: str | Path, name: str) -> Path:
    """OUT_DIR/DATE-NAME, with -1, -2, ... when that folder exists."""
    stamp = _dt.datetime.now().strftime("%Y-%m-%d-%H%M%S")
    base = Path(out_dir) / f"{stamp}-{name}"
    path, i = base, 1
    while path.exists():
        path, i = Path(f"{base}-{i}"), i + 1
    return path


def write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode())


class RunFolder:
    def __init__(self, path: Path, active: bool = True, tensorboard: bool = True) -> None:
        self.path = Path(path)
        self.active = active
        self.tensorboard = tensorboard  # off by config, or when tensorboard is not installed
        self._tb: Any = None

    @property
    def metrics(self) -> Path:
        return self.path / "metrics.csv"

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
        rows = self.metrics.read_text().splitlines()
        keep = [rows[0]] + [r for r in rows[1:] if r and int(r.split(",")[0]) <= images_seen]
        write_text(self.metrics, "\n".join(keep) + "\n")

    def append_metrics(self, row: dict[str, Any], columns: list[str]) -> None:
        """One row of metrics.csv, and the same scalars as TensorBoard events at row["images"]."""
        if not self.active:
            return
        line = ",".join(
            ""
            if row.get(c) is None
            else (f"{row[c]:.6g}" if isinstance(row[c], float) else str(row[c]))
            for c in columns
        )
        with open(self.metrics, "a") as f:
            f.write(line + "\n")
        if self.tensorboard and self._tb is None:
            try:  # tensorboard is an optional extra: pip install 'ganforge[tensorboard]'
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:
                self.tensorboard = False
            else:
                self._tb = SummaryWriter(str(self.path / "tensorboard"))
        if self._tb is not None:
            for k, v in row.items():
                if k not in ("images", "g_steps") and v is not None:
                    self._tb.add_scalar(k, v, row["images"])

    def close(self) -> None:
        """Flush and close the TensorBoard writer (a later append opens a new one)."""
        if self._tb is not None:
            self._tb.close()
            self._tb = None

    def write_status(self, info: dict[str, Any]) -> None:
        if self.active:
            write_text(self.path / "run.json", json.dumps(info, indent=2) + "\n")
