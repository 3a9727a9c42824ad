"""Plain helpers shared by tests (importable as `helpers`; fixtures live in conftest.py)."""

from __future__ import annotations

import torch

from ganforge.data.dataset import ImageData


def random_images(n: int = 256, channels: int = 1, size: int = 32, classes: int = 10) -> ImageData:
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (n, channels, size, size), generator=g, dtype=torch.uint8)
    labels = torch.randint(0, classes, (n,), generator=g)
    return ImageData(images, labels, classes, "random", report={"source": "random"})


def tiny_overrides(tmp_path, **extra) -> dict:
    """A few steps with small widths: what every trainer test runs."""
    base = {
        "out_dir": str(tmp_path / "runs"),
        "train.images": 512,
        "train.batch_size": 32,
        "train.log_every": 128,
        "train.sample_every": 256,
        "train.checkpoint_every": 256,
        "model.g_width": 8,
        "model.d_width": 8,
        "runtime.progress": False,
        "runtime.tensorboard": False,
        "train.report": False,  # tests/report and test_run_folder_has_everything write it
    }
    base.update(extra)
    return base
