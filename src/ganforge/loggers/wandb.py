"""Weights & Biases (``train.loggers=[wandb]``; ``pip install 'ganforge[wandb]'``).

Configured the way W&B configures itself, through its environment variables: ``WANDB_PROJECT``
(default ``ganforge``), ``WANDB_ENTITY``, ``WANDB_MODE`` (``offline`` writes the run to disk, for
``wandb sync`` later; ``disabled``), ``WANDB_API_KEY``, and ``WANDB_DIR`` (default: the run
folder, so W&B's files land in ``RUN/wandb/``). The W&B run is named after the run folder.

What it receives: each metrics.csv row's values, logged with ``images`` (images seen), which W&B
is told is the x axis of every other key (``define_metric``), so W&B's own step counter only counts
rows; evaluation scores under ``eval/``; each sample grid as the image ``samples``; the resolved
config as the W&B run's config.

Resume: the W&B run id is kept in ``RUN/trackers.json`` and a resumed run re-opens that run
(``wandb.init(id=..., resume="allow")``; offline, a second offline folder with the same id, which
``wandb sync`` appends to the same run). W&B cannot delete logged history, so the rows between the
checkpoint and the interruption are logged twice at the same ``images``; resume is exact, so both
copies hold the same values (img/s and wall time aside). The config is updated to the resumed
run's (``allow_val_change``: e.g. a larger train.images).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ganforge.loggers.base import Sink, SinkUnavailable, register_sink
from ganforge.loggers.tracker_runs import remember_tracker_run, tracker_run_id

DEFAULT_PROJECT = "ganforge"


@register_sink("wandb")
class WandbSink(Sink):
    @classmethod
    def check(cls) -> None:
        try:
            import wandb  # noqa: F401  (an optional extra)
        except ImportError:
            raise SinkUnavailable("wandb is not installed: pip install 'ganforge[wandb]'") from None

    def __init__(self, run_dir: Path, config: dict[str, Any], resume_at: int) -> None:
        self.check()
        import wandb  # deferred: an optional extra, and slow to import

        self._wandb = wandb
        run_dir = Path(run_dir)
        run_id = tracker_run_id(run_dir, self.name)  # None: W&B draws a new one
        self.run = wandb.init(
            project=os.environ.get("WANDB_PROJECT") or DEFAULT_PROJECT,
            name=run_dir.name,
            id=run_id,
            resume="allow",
            dir=os.environ.get("WANDB_DIR") or str(run_dir),
            # console="off": the trainer's progress bar and notes stay out of W&B's capture.
            settings=wandb.Settings(console="off", save_code=False),
        )
        remember_tracker_run(run_dir, self.name, self.run.id)
        self.run.config.update(config, allow_val_change=True)
        self.run.define_metric("images")
        self.run.define_metric("*", step_metric="images")

    def scalars(self, images: int, values: dict[str, float]) -> None:
        self.run.log({**values, "images": images})

    def image(self, images: int, tag: str, path: Path) -> None:
        self.run.log({tag: self._wandb.Image(str(path)), "images": images})

    def close(self) -> None:
        self.run.finish()
