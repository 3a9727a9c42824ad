"""Plain helpers shared by tests (importable as `helpers`; fixtures live in conftest.py)."""

from __future__ import annotations

import os

import torch

from ganforge.data.dataset import ImageData

WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
THREADS = int(os.environ.get("GANFORGE_TEST_THREADS", str(max(1, 2 // WORKERS))))
"""Torch threads per test process. The suite runs in 2 pytest-xdist workers (README: `pytest -n 2`)
on the CI machine's 2 cores, so one each; 2 in a single process; GANFORGE_TEST_THREADS overrides.
Oversubscribed torch threads spin-wait on each other (10x slower or worse)."""


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


TOY_TINY = {
    "model.g_hidden": [16],
    "model.d_hidden": [16],
    "data.toy_samples": 256,
    "train.batch_size": 64,
    "train.images": 256,
    "train.log_every": 64,
    "train.checkpoint_every": 128,
    "train.sample_every": 10**6,  # one grid, at the end
    "train.grid_size": 4,
    "train.report": False,
    "runtime.threads": 1,
    "runtime.progress": False,
    "runtime.tensorboard": False,
}
"""The ring toy with 16-unit MLPs, 256 images in 4 iterations, checkpoints at 128 and 256: a whole
run in well under a second, for the tests that edit, kill or starve runs."""


def train_toy(out_dir, **extra):
    """A finished tiny toy run under ``out_dir`` (``TOY_TINY`` plus ``extra``): its folder."""
    from ganforge.config import load_config
    from ganforge.train.trainer import Trainer

    cfg = load_config("toy-ring-mlp", {**TOY_TINY, "out_dir": str(out_dir), **extra})
    return Trainer(cfg).fit().run_dir


def edit_checkpoint(path, edit=None, edit_tensors=None) -> None:
    """Edit a checkpoint's JSON skeleton (``edit(skeleton)``, in place) and/or its tensors
    (``edit_tensors(dict)``) the way a person with a text editor and safetensors could: the file
    stays a well-formed checkpoint, only what it says changes."""
    import json

    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata()
    tensors = load_file(str(path))
    skeleton = json.loads(meta["state"])
    if edit is not None:
        edit(skeleton)
    if edit_tensors is not None:
        edit_tensors(tensors)
    meta["state"] = json.dumps(skeleton)
    save_file(tensors, str(path), metadata=meta)


def skeleton_node(skeleton, dotted):
    """(parent, key) of the entry ``dotted`` (e.g. "optim.G.state.0.step", or a tuple of keys
    when one holds dots) in a checkpoint's skeleton, through its "$int" and "$tuple" wrappers."""
    node, parts = skeleton, dotted.split(".") if isinstance(dotted, str) else list(dotted)
    for i, part in enumerate(parts):
        if isinstance(node, dict) and set(node) == {"$int"}:
            node = node["$int"]
        if isinstance(node, dict) and set(node) == {"$tuple"}:
            node = node["$tuple"]
        key = int(part) if isinstance(node, list) else part
        if i == len(parts) - 1:
            return node, key
        node = node[key]
    raise KeyError(dotted)


def files_under(root) -> dict[str, bytes | None]:
    """Every path under ``root`` with its content (None for folders): to show nothing changed."""
    from pathlib import Path

    root = Path(root)
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): (None if p.is_dir() or not p.is_file() else p.read_bytes())
        for p in sorted(root.rglob("*"))
    }
