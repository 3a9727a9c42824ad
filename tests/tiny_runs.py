"""Tiny trained runs for the explore, commands and report tests, each trained once per session.

Import the fixtures into a folder's conftest.py (``from tiny_runs import dcgan_run``). The runs are
a few hundred images on random data: the generators draw noise, but every command can be checked
against what the generator computes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ganforge.config import load_config
from ganforge.train.trainer import Trainer
from helpers import random_images, tiny_overrides


def _train(root: Path, preset: str, data=None, **extra) -> Path:
    # One thread: these nets are too small to gain from two, and a second thread that has to wait
    # for a busy core can make a step many times slower.
    small = {"train.grid_size": 16, "runtime.threads": 1}
    cfg = load_config(preset, tiny_overrides(root / preset, **small, **extra))
    return Trainer(cfg, data=data).fit().run_dir


@pytest.fixture(scope="session")
def dcgan_run(tmp_path_factory) -> Path:
    """Unconditional DCGAN, 1 x 32 x 32, layers of 32, 16 and 8 channels."""
    return _train(tmp_path_factory.mktemp("runs"), "dcgan-fashion-mnist", random_images())


@pytest.fixture(scope="session")
def cgan_run(tmp_path_factory) -> Path:
    """Class-conditional DCGAN (label embedding concatenated to z), 10 classes."""
    return _train(tmp_path_factory.mktemp("runs"), "cgan-fashion-mnist", random_images())


@pytest.fixture(scope="session")
def toy_run(tmp_path_factory) -> Path:
    """The 2-D ring toy: a generator of points, not images."""
    extra = {"data.toy_samples": 1024, "model.g_hidden": [16], "model.d_hidden": [16]}
    return _train(tmp_path_factory.mktemp("runs"), "toy-ring-mlp", **extra)
