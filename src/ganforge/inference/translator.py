"""Run a trained image-to-image generator on images: what ``ganforge translate`` and ``ganforge
upscale`` (and ``ganforge eval`` on such runs) are built on.

A ``Translator`` is what ``ganforge.load_run`` returns as ``run.model`` for a task that maps images
to images (pix2pix, CycleGAN, SRGAN, or a plug-in task that opens as one): the generator of one
direction, with the geometry that running it on any image needs. Its use (inference/uses.py) is
``translate``, or ``upscale`` when its output is larger than its input; its export takes
``input`` (batch, C, height, width) and gives ``output`` (batch, C, scale * height, scale * width),
both in [-1, 1], batch, height and width dynamic (sides: multiples of ``size_multiple``, at least
``min_size``). Images of any size are accepted:
translation pads the sides to the
multiple the network needs (replicating the border) and crops the result back; super-resolution
runs large images tile by tile, each tile read with ``context`` pixels of margin on every side so
that, up to floating-point rounding, the result equals one pass over the whole image.

The generators are plain ``nn.Module``\\ s called as ``net(x) -> y`` on (B, C, H, W) float tensors
in [-1, 1]; ``Translator.net`` is that module, in eval mode (batch-norm running statistics, no
dropout). pix2pix's paper (Isola et al. 2017, sec. 3.3) instead runs the generator at test time
"in exactly the same manner as during the training phase": dropout on and batch norm with the
test batch's statistics. We keep eval mode so that one image's output neither changes from run to
run nor depends on the other images of its batch; with the instance norm of the 256 px preset the
two differ only by the dropout.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor, nn

from ganforge.config import Config
from ganforge.data.files.decode import MAX_PIXELS
from ganforge.data.loader import to_model_range
from ganforge.data.sources.folder import (
    IMAGE_EXTENSIONS,
    load_image,
    normalize_image,
    parse_background,
)
from ganforge.errors import GanforgeError
from ganforge.images import to_uint8
from ganforge.inference.export_spec import ExportSpec
from ganforge.inference.uses import InferenceModel, check_call

DEFAULT_TILE = 256
"""Side of the LR tiles ``upscale`` works on (memory grows with its square)."""


@dataclass
class Translator(InferenceModel):
    """A trained image-to-image generator, ready for inference."""

    cfg: Config
    """The config of the run it comes from (data background, the task's settings)."""
    net: nn.Module
    direction: str
    """AtoB | BtoA: which way this generator maps."""
    network: str
    """Which of the run's networks it is (G, or CycleGAN's F for the other direction)."""
    channels: int
    multiple: int
    """Input sides must be divisible by this (the translator pads)."""
    scale: int
    """Output size / input size: 1 for translation, i2i.scale for super-resolution."""
    context: int
    """Pixels of input around a tile that its output depends on (tiling margin)."""

    @property
    def uses(self) -> dict[str, tuple[str, ...]]:
        return {"upscale" if self.scale > 1 else "translate": ("image",)}

    @property
    def module(self) -> nn.Module:
        return self.net

    def describe(self) -> str:
        return f"{self.cfg.model.task} {self.network} ({self.direction})"

    def infer(self, use: str, inputs: dict[str, Any]) -> Tensor:
        """``translate`` / ``upscale``: uint8 (N, C, H, W) -> uint8 (N, C, scale*H, scale*W),
        padded as the network needs (``upscale`` in tiles of ``DEFAULT_TILE``)."""
        check_call(self, use, inputs)
        x = inputs["image"]
        if self.scale == 1:
            return translate_tensor(self, x)
        return torch.cat([upscale_tiled(self, x[i : i + 1]) for i in range(len(x))])

    def input_info(self, name: str) -> dict[str, Any]:
        if name == "image":
            return {
                "channels": self.channels,
                "size": None,
                "min_size": self.min_size,
                "background": self.cfg.data.background,
            }
        return {}

    @property
    def device(self) -> torch.device:
        return next(self.net.parameters()).device

    @property
    def min_size(self) -> int:
        """Smallest side accepted: a U-Net needs its 1x1 bottleneck to exist (smaller images would
        be mostly padding); others take 4 px and more (padded as the network needs)."""
        return max(self.multiple, 4)

    @property
    def net_min_size(self) -> int:
        """Smallest side the network itself takes (what an exported graph needs): the ResNet
        generator's 2x2 bottleneck needs 8 px (``net.min_size``); ``translate`` pads up to it."""
        return max(self.multiple, int(getattr(self.net, "min_size", 1)))

    def export_config(self) -> dict[str, Any]:
        """The JSON a consumer of the exported generator needs."""
        c, s = self.channels, self.scale
        out_hw = ["height", "width"] if s == 1 else [f"{s}*height", f"{s}*width"]
        return {
            "direction": self.direction,
            "network": self.network,
            "inputs": {
                "input": {
                    "shape": ["batch", c, "height", "width"],
                    "dtype": "float32",
                    "range": [-1, 1],
                }
            },
            "output": {"name": "output", "shape": ["batch", c, *out_hw], "range": [-1, 1]},
            "channels": c,
            "size_multiple": self.multiple,
            "min_size": self.net_min_size,
            "scale": s,
            "note": "height and width: multiples of size_multiple, at least min_size; pixels "
            "(x / 127.5 - 1) in, (y + 1) * 127.5 out",
        }

    def export_spec(self) -> ExportSpec:
        net = self.net.cpu().eval()
        m = self.multiple
        blocks = -(-self.net_min_size // m)  # the fewest multiples of m an input side may have
        if m == 1:
            height = torch.export.Dim("height", min=blocks)
            width = torch.export.Dim("width", min=blocks)
        else:
            # Sides are k * m: a U-Net's skip connections only line up at multiples of 2^depth.
            height = m * torch.export.Dim("height_blocks", min=blocks)
            width = m * torch.export.Dim("width_blocks", min=blocks)
        # Sizes other than 0 and 1 (which torch.export would specialise), not square, above the
        # minimum.
        k = max(blocks, 2)

        def image(n: int, kh: int, kw: int) -> Tensor:
            g = torch.Generator().manual_seed(1000 * n + kh)
            return torch.rand(n, self.channels, kh * m, kw * m, generator=g) * 2 - 1

        return ExportSpec(
            module=_Translation(net).eval(),
            example=(image(2, k, k + 1),),
            input_names=["input"],
            output_name="output",
            dynamic_shapes={"input": {0: torch.export.Dim("batch", min=1), 2: height, 3: width}},
            config=self.export_config(),
            net=net,
            probes=[(image(1, k + 1, k),), (image(3, blocks, k + 2),)],
        )


class _Translation(nn.Module):
    """forward(input) -> output: the image-to-image generator, named for torch.export."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002  (the exported input's name)
        return self.net(input)


# --------------------------------------------------------------------------- files


def read_image(
    path: Path, channels: int, background: str = "white", max_pixels: int = MAX_PIXELS
) -> np.ndarray:
    """An image file -> uint8 (channels, H, W) at its own size (16-bit, RGBA, ... handled); a
    file over ``max_pixels`` (from its header) is refused before it is decoded."""
    bg = parse_background(background)

    def clean(img: Image.Image) -> np.ndarray:
        arr = np.array(normalize_image(img, channels, bg), dtype=np.uint8)  # a writable copy
        return arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)

    # 1 << 30: a short side no file reaches, so no JPEG draft scaling.
    result = load_image(Path(path), 1 << 30, channels, bg, clean=clean, max_pixels=max_pixels)
    if isinstance(result, str):
        raise GanforgeError(f"cannot read {path}: {result}")
    return result


# --------------------------------------------------------------------------- tensors


def _check(tr: Translator, x: Tensor, what: str) -> None:
    if x.ndim != 4 or x.shape[1] != tr.channels:
        raise GanforgeError(
            f"{what}: expected (N, {tr.channels}, H, W) images for this run, got {tuple(x.shape)}"
        )
    h, w = x.shape[-2:]
    if min(h, w) < tr.min_size:
        raise GanforgeError(
            f"{what} is {w}x{h} px, too small for this network: it needs at least "
            f"{tr.min_size}x{tr.min_size}"
        )


@torch.no_grad()
def translate_tensor(tr: Translator, x: Tensor, what: str = "input") -> Tensor:
    """uint8 (N, C, H, W) -> uint8 (N, C, scale*H, scale*W), padding to the network's multiple
    (and to its smallest size)."""
    _check(tr, x, what)
    h, w = x.shape[-2:]
    m, lo = tr.multiple, tr.net_min_size
    ph, pw = max(-(-h // m) * m, lo) - h, max(-(-w // m) * m, lo) - w
    xf = to_model_range(x.to(tr.device))
    if ph or pw:
        # Replicated borders: reflection needs the pad to be smaller than the image.
        xf = F.pad(xf, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2), mode="replicate")
    y = tr.net(xf)
    s = tr.scale
    top, left = (ph // 2) * s, (pw // 2) * s
    return to_uint8(y[..., top : top + h * s, left : left + w * s])


@torch.no_grad()
def upscale_tiled(
    tr: Translator, x: Tensor, tile: int = DEFAULT_TILE, what: str = "input"
) -> Tensor:
    """uint8 (1, C, h, w) -> (1, C, s*h, s*w) in tiles of ``tile`` LR pixels plus ``context``."""
    _check(tr, x, what)
    h, w = x.shape[-2:]
    if tile < 1:
        raise GanforgeError(f"--tile {tile} must be positive")
    if h <= tile and w <= tile:
        return translate_tensor(tr, x, what)
    s, c = tr.scale, tr.context
    out = torch.empty((1, x.shape[1], h * s, w * s), dtype=torch.uint8)
    for y0 in range(0, h, tile):
        for x0 in range(0, w, tile):
            y1, x1 = min(y0 + tile, h), min(x0 + tile, w)
            a, b = max(0, y0 - c), max(0, x0 - c)  # the tile with its context, inside the image
            part = translate_tensor(tr, x[..., a : min(h, y1 + c), b : min(w, x1 + c)], what)
            out[..., y0 * s : y1 * s, x0 * s : x1 * s] = part[
                ..., (y0 - a) * s : (y1 - a) * s, (x0 - b) * s : (x1 - b) * s
            ]
    return out


def collect_inputs(paths: list[str]) -> list[Path]:
    """Image files named on the command line, folders expanded to the images directly in them."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(
                f
                for f in p.iterdir()
                if f.is_file()
                and f.suffix.lower() in IMAGE_EXTENSIONS
                and not f.name.startswith(".")
            )
            if not found:
                raise GanforgeError(f"{p} holds no image files")
            files += found
        elif p.is_file():
            files.append(p)
        else:
            raise GanforgeError(f"{p} does not exist")
    stems = [f.stem for f in files]
    dup = sorted({s for s in stems if stems.count(s) > 1})
    if dup:
        raise GanforgeError(
            f"several inputs would write {dup[0]}.png (outputs keep the file name, as PNG): "
            "rename them or run them separately"
        )
    return files
