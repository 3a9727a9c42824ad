"""TensorBoard events in ``RUN/tensorboard/``: the default sink (``train.loggers``), written when
tensorboard is installed (``pip install 'ganforge[tensorboard]'``; without it, a note).

Scalars are logged at images seen; evaluation scores under ``eval/``; each sample grid as an image
``samples``; the resolved config as text once per (re)start. A resumed run purges the events logged
after its checkpoint (``SummaryWriter(purge_step=...)``), which the run replays.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import yaml
from PIL import Image

from ganforge.loggers.base import Sink, SinkUnavailable, register_sink


@register_sink("tensorboard")
class TensorBoardSink(Sink):
    missing_ok = True

    @classmethod
    def check(cls) -> None:
        try:
            import tensorboard  # noqa: F401  (an optional extra)
        except ImportError:
            raise SinkUnavailable(
                "tensorboard is not installed, so no TensorBoard events are written: "
                "pip install 'ganforge[tensorboard]'"
            ) from None

    def __init__(self, run_dir: Path, config: dict[str, Any], resume_at: int) -> None:
        self.check()
        # Deferred: torch.utils.tensorboard imports tensorboard, an optional extra.
        from torch.utils.tensorboard import SummaryWriter

        # Events at steps after the checkpoint are about to be logged again: purge them.
        purge = resume_at + 1 if resume_at > 0 else None
        self.writer = SummaryWriter(str(Path(run_dir) / "tensorboard"), purge_step=purge)
        text = yaml.safe_dump(config, sort_keys=False)
        self.writer.add_text("config", "```\n" + text + "\n```", resume_at)

    def scalars(self, images: int, values: dict[str, float]) -> None:
        for k, v in values.items():
            self.writer.add_scalar(k, v, images)

    def image(self, images: int, tag: str, path: Path) -> None:
        with Image.open(path) as img:
            array = np.asarray(img.convert("RGBA" if "A" in img.getbands() else "RGB"))
        self.writer.add_image(tag, array, images, dataformats="HWC")

    def close(self) -> None:
        self.writer.close()
