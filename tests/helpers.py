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


def toy_trainer(tmp_path, **extra):
    """A Trainer of the 2-D ring toy with 16-unit MLPs (built, not run): for step-level tests."""
    from ganforge.config import load_config
    from ganforge.train.trainer import Trainer

    over = {
        "out_dir": str(tmp_path / "runs"),
        "model.g_hidden": [16],
        "model.d_hidden": [16],
        "data.toy_samples": 512,
        "train.batch_size": 64,
        "runtime.precision": "fp32",
        "runtime.progress": False,
        "runtime.tensorboard": False,
        **extra,
    }
    return Trainer(load_config("toy-ring-mlp", over))


def one_iteration(trainer) -> dict:
    """One eager iteration of ``trainer`` (all phases, measured): its summed scalars."""
    out, _ = trainer._iteration(trainer._draws(), 0.0, True)
    return out


def wrap_phase(trainer, name: str, after) -> None:
    """Make phase ``name`` of ``trainer`` call ``after(trainer)`` once its loss is computed (e.g.
    to raise, or to send a signal, mid-run)."""
    import dataclasses

    for i, phase in enumerate(trainer.phases):
        if phase.name == name:

            def loss(*args, inner=phase.loss, **kwargs):
                out = inner(*args, **kwargs)
                after(trainer)
                return out

            trainer.phases[i] = dataclasses.replace(phase, loss=loss)
            return
    raise KeyError(name)
