"""Tiny in-memory models of every kind the demo serves, and helpers to talk to its server.

Imported as ``from tiny_demo import ...`` (``tests`` is on the path). The models are built, not
trained (a few ms each): the demo never asks which task made a model, only what it declares, so an
untrained network of each inference class is what a run would give.
"""

from __future__ import annotations

import base64
import io
import json
import urllib.error
import urllib.request
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import nn

from ganforge.config import Config, load_config
from ganforge.data.dataset import ImageData
from ganforge.demo.neighbours import Gallery
from ganforge.images import to_uint8
from ganforge.inference.encoder import Encoder
from ganforge.inference.inpainter import Inpainter
from ganforge.inference.noise import NoiseGenerator
from ganforge.inference.translator import Translator
from ganforge.inference.uses import InferenceModel, check_call
from ganforge.models.autoencoder import MLPAutoencoder
from ganforge.models.inpainting import GatedGenerator


class CondG(nn.Module):
    """z (and y) -> (B, 1, 8, 8): every latent coordinate and the class move the pixels."""

    z_dim = 8

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.fc = nn.Linear(8, 64)
        self.embed = nn.Embedding(3, 8)
        nn.init.normal_(self.fc.weight, std=1.0)
        nn.init.normal_(self.embed.weight, std=2.0)

    def forward(self, z, y=None):
        if y is not None:
            z = z + self.embed(y)
        return torch.tanh(self.fc(z)).view(-1, 1, 8, 8)


class Invert(nn.Module):
    """A translator's net: the negative image (so the output is checkable), any size, enlarged
    ``scale`` times by repeating pixels (an upscaler)."""

    def __init__(self, scale: int = 1) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(()))  # gives the net a device
        self.scale = scale

    def forward(self, x):
        s = self.scale
        return -x.repeat_interleave(s, 2).repeat_interleave(s, 3)


class Captioned(InferenceModel):
    """A family the demo has never heard of: text to image, the length of the caption sets the
    grey level (so tests can see the caption reached it)."""

    network = "G"

    def __init__(self) -> None:
        self.net = nn.Identity()

    @property
    def uses(self):
        return {"text": ("z", "text")}

    @property
    def module(self):
        return self.net

    def export_spec(self):
        raise NotImplementedError

    def input_info(self, name):
        return {"dim": 4} if name == "z" else {}

    def infer(self, use, inputs):
        check_call(self, use, inputs)
        n = inputs["z"].shape[0]
        level = torch.tensor([len(t) / 50 - 1 for t in inputs["text"]]).clamp(-1, 1)
        return to_uint8(level.view(n, 1, 1, 1).expand(n, 1, 4, 4))


def noise_model() -> NoiseGenerator:
    return NoiseGenerator(CondG().eval(), 3, ["shirt", "shoe", "bag"], (1, 8, 8))


def translator(scale: int = 1) -> Translator:
    return Translator(Config(), Invert(scale), "AtoB", "G", 1, 1, scale, 0)


def inpainter() -> Inpainter:
    torch.manual_seed(0)
    net = GatedGenerator(1, 4, dilations=(2,)).eval().requires_grad_(False)
    cfg = load_config("inpaint-fashion", {"data.channels": 1})
    return Inpainter(cfg=cfg, net=net, channels=1, multiple=4, context=net.context)


def encoder() -> Encoder:
    torch.manual_seed(0)
    return Encoder(MLPAutoencoder((1, 8, 8), [6]).eval().requires_grad_(False))


def gallery_images(n: int = 20) -> torch.Tensor:
    g = torch.Generator().manual_seed(3)
    return torch.randint(0, 256, (n, 1, 8, 8), generator=g, dtype=torch.uint8)


def gallery() -> Gallery:
    images = gallery_images()
    return Gallery(lambda: ImageData(images, None, 0, "blobs"), size=len(images))


def data_url(array: np.ndarray, fmt: str = "PNG") -> str:
    """(H, W) or (H, W, C) uint8 -> a data URL of the image file, as the page sends it."""
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format=fmt)
    return f"data:image/{fmt.lower()};base64," + base64.b64encode(buf.getvalue()).decode()


def decode(url: str) -> np.ndarray:
    """A PNG data URL -> its pixels, as the browser would show them."""
    assert url.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))


def post(url: str, body: Any, raw: bytes | None = None) -> tuple[int, dict[str, Any]]:
    """POST JSON (or ``raw`` bytes) to ``url`` -> (status, the JSON reply)."""
    data = raw if raw is not None else json.dumps(body).encode()
    req = urllib.request.Request(url, data, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)
