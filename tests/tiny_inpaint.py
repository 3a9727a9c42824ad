"""A tiny trained inpainting run for the export, command and evaluation tests.

A few batches on the embedded Fashion-MNIST split at 16 px with the narrowest networks: the fills
are poor, but every exported file, command and score can be checked against what the generator
computes. Imported as ``from tiny_inpaint import train_tiny_inpaint`` (``tests`` is on the path).
"""

from __future__ import annotations

from pathlib import Path

from ganforge.config import load_config
from ganforge.train.trainer import Trainer

TINY = {
    "data.split": "test",  # the embedded split: always offline
    "data.max_images": 300,
    "data.resolution": 16,
    "model.g_width": 4,
    "model.d_width": 4,
    "inpaint.dilations": [2],
    "inpaint.mask_pool": 64,
    "train.batch_size": 8,
    "train.images": 32,
    "train.log_every": 8,
    "train.sample_every": 32,
    "train.checkpoint_every": 16,
    "train.grid_size": 4,
    "train.report": False,
    "runtime.progress": False,
    "runtime.tensorboard": False,
    "runtime.threads": 1,
}


def train_tiny_inpaint(root: Path, **extra) -> Path:
    """Train the tiny inpainting run (preset inpaint-fashion, shrunk) under ``root``; its folder."""
    cfg = load_config("inpaint-fashion", {**TINY, **extra, "out_dir": str(root)})
    return Trainer(cfg).fit().run_dir
