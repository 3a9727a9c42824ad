"""Tiny trained image-to-image runs (pix2pix, CycleGAN, SRGAN) for the export and command tests.

A few batches on the embedded Fashion-MNIST split at 16 px with the narrowest networks: the
outputs are noise, but every exported file can be checked against what the generator computes.
Imported as ``from tiny_i2i import train_tiny_i2i`` (``tests`` is on the path).
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
    "train.batch_size": 8,
    "train.images": 16,
    "train.log_every": 8,
    "train.sample_every": 16,
    "train.checkpoint_every": 16,
    "train.grid_size": 4,
    "runtime.progress": False,
    "runtime.tensorboard": False,
    "runtime.threads": 1,
}
PRESETS = {
    "pix2pix": ("pix2pix-edges2fashion", {"i2i.unet_depth": 3}),
    "cyclegan": ("cyclegan-fashion", {"i2i.g_blocks": 1}),
    "srgan": ("srgan-fashion-x4", {"i2i.g_blocks": 1, "i2i.pretrain_images": 8}),
}


def train_tiny_i2i(root: Path, task: str, **extra) -> Path:
    """Train the tiny ``task`` run (pix2pix | cyclegan | srgan) under ``root``; its run folder."""
    preset, over = PRESETS[task]
    cfg = load_config(preset, {**TINY, **over, **extra, "out_dir": str(root / task)})
    return Trainer(cfg).fit().run_dir
