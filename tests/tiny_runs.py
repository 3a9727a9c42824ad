"""Tiny trained runs for the explore, commands and report tests, each trained once per session.

Import the fixtures into a folder's conftest.py (``from tiny_runs import dcgan_run``). The runs are
a few hundred images on random data made by the real Trainer (config, metrics, grids, checkpoints),
and the image generators' weights are then redrawn (``_liven``) so that their samples depend
strongly on z and on the class: a test that two images are equal, or differ, can then fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from ganforge.config import load_config
from ganforge.runs import load_run
from ganforge.train import checkpoint as ckpt
from ganforge.train.trainer import Trainer
from helpers import random_images, tiny_overrides


def _train(root: Path, preset: str, data=None, **extra) -> Path:
    # One thread: these nets are too small to gain from two, and a second thread that has to wait
    # for a busy core can make a step many times slower.
    small = {"train.grid_size": 16, "runtime.threads": 1}
    cfg = load_config(preset, tiny_overrides(root / preset, **small, **extra))
    return Trainer(cfg, data=data).fit().run_dir


@torch.no_grad()
def _liven(run_dir: Path) -> Path:
    """Redraw the generator of every checkpoint of ``run_dir`` so each z draws its own image.

    Sixteen steps leave DCGAN's N(0, 0.02) weights where they started: the samples are flat grey
    and differ by at most 2 grey levels, so interpolation endpoints, ablations and equalities
    could not be told apart from their negatives. Kaiming weights (He et al. 2015) keep the
    signal's scale through the ReLU layers and the label embeddings get unit scale; batch norm's
    running statistics are then re-estimated on 512 latents, so eval mode sees normalised features
    (samples then differ by ~65 of 255 grey levels on average, with about 3% of pixels clipped).
    """
    run = load_run(run_dir)
    G = run.G
    torch.manual_seed(0)
    for m in G.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight)
        elif isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # a plain average over the calibration batches
    G.train()
    for _ in range(4):
        z = torch.randn(128, G.z_dim)
        G(z, torch.randint(0, run.num_classes, (128,)) if run.num_classes else None)
    for m in G.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.momentum = 0.1
    weights = G.eval().state_dict()
    for path in [*ckpt.list_checkpoints(run_dir / "checkpoints"), run_dir / "best.safetensors"]:
        if not path.is_file():
            continue
        state = ckpt.load(path)
        state["nets"]["G"] = {k: v.clone() for k, v in weights.items()}
        if "G" in state.get("ema", {}):  # the EMA copy is what the commands use by default
            state["ema"]["G"] = {k: v.clone() for k, v in weights.items()}
        ckpt.atomic_save(path, state)
    return run_dir


@pytest.fixture(scope="session")
def dcgan_run(tmp_path_factory) -> Path:
    """Unconditional DCGAN, 1 x 32 x 32, layers of 32, 16 and 8 channels, livened."""
    return _liven(_train(tmp_path_factory.mktemp("runs"), "dcgan-fashion-mnist", random_images()))


@pytest.fixture(scope="session")
def cgan_run(tmp_path_factory) -> Path:
    """Class-conditional DCGAN (label embedding concatenated to z), 10 classes, livened."""
    return _liven(_train(tmp_path_factory.mktemp("runs"), "cgan-fashion-mnist", random_images()))


@pytest.fixture(scope="session")
def toy_run(tmp_path_factory) -> Path:
    """The 2-D ring toy: a generator of points, not images."""
    extra = {"data.toy_samples": 1024, "model.g_hidden": [16], "model.d_hidden": [16]}
    return _train(tmp_path_factory.mktemp("runs"), "toy-ring-mlp", **extra)
