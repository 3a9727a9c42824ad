"""Tiny text-to-image runs and captioned folders for the task, command and evaluation tests.

``train_tiny_text2image`` trains the demo preset shrunk to 16 px and narrow networks on a few
hundred embedded Fashion-MNIST images: poor images, but every command, export and score can be
checked against what the model computes. ``captioned_folder`` writes a small folder of coloured
squares whose captions name their colour, in either layout. Imported as
``from tiny_text2image import ...`` (``tests`` is on the path).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from ganforge.config import load_config
from ganforge.images import save_png
from ganforge.train.trainer import Trainer

TINY = {
    "data.split": "test",  # the embedded split: always offline
    "data.max_images": 256,
    "data.resolution": 16,
    "model.g_width": 4,
    "model.d_width": 4,
    "text2image.text_dim": 16,
    "text2image.text_width": 16,
    "text2image.text_heads": 2,
    "text2image.text_layers": 1,
    "text2image.image_width": 4,
    "text2image.pretrain_images": 32,
    "train.batch_size": 16,
    "train.images": 64,
    "train.log_every": 16,
    "train.sample_every": 64,
    "train.checkpoint_every": 32,
    "train.grid_size": 4,
    "train.report": False,
    "train.loggers": [],
    "runtime.progress": False,
    "runtime.threads": 1,
}

COLOURS = {"red": (220, 30, 30), "green": (30, 200, 30), "blue": (30, 30, 220)}


def train_tiny_text2image(root: Path, data=None, **extra) -> Path:
    """Train the tiny demo run under ``root`` (on ``data`` when given); its folder."""
    cfg = load_config("text2image-fashion", {**TINY, **extra, "out_dir": str(root)})
    return Trainer(cfg, data=data).fit().run_dir


@pytest.fixture(scope="session")
def text2image_run(tmp_path_factory) -> Path:
    """One tiny demo run shared by the task, command and evaluation tests."""
    return train_tiny_text2image(tmp_path_factory.mktemp("text2image"))


def captioned_folder(root: Path, n: int = 24, layout: str = "jsonl", size: int = 20) -> Path:
    """``n`` squares of three colours under ``root`` (in a sub-folder for half of them), with
    captions that name the colour: ``metadata.jsonl`` (two captions each) or sidecar .txt."""
    root.mkdir(parents=True)
    (root / "sub").mkdir()
    lines = []
    names = list(COLOURS)
    for i in range(n):
        colour = names[i % 3]
        img = torch.tensor(COLOURS[colour], dtype=torch.uint8).expand(size, size, 3).numpy()
        rel = f"{'sub/' if i % 2 else ''}{i:03d}.png"
        save_png(root / rel, img)
        caps = [f"a {colour} square", f"{colour} block number {i}"]
        if layout == "jsonl":
            lines.append(json.dumps({"file_name": rel, "text": caps}))
        else:
            (root / rel).with_suffix(".txt").write_text("\n".join(caps) + "\n", encoding="utf-8")
    if layout == "jsonl":
        (root / "metadata.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root
