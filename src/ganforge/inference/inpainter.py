"""Run a trained inpainting generator on an image and its mask: what ``ganforge inpaint`` and
``ganforge eval`` on an inpainting run are built on.

An ``Inpainter`` is what ``ganforge.load_run`` returns as ``run.model`` for an inpainting run
(tasks/inpaint.py): the generator with the geometry that running it on any image needs. Its use
(inference/uses.py) is ``inpaint``, with the inputs ``image`` and ``mask``; its export takes

    image  (batch, C, height, width) float32 in [-1, 1]
    mask   (batch, 1, height, width) float32, 1 = missing, 0 = known

and gives ``output`` (batch, C, height, width) in [-1, 1]: the generator's fill in the hole, the
image's own values elsewhere (a select, so known pixels pass through bit for bit). Batch, height
and width are dynamic; height and width must be multiples of ``size_multiple`` (in the JSON
config): the graph does not pad. ``inpaint_image`` does, for any size: it pads to the multiple,
runs the image whole or, when it is larger than ``tile``, in tiles whose margin covers the
generator's receptive field (models/inpainting_tiling.py), crops back and copies every known
pixel of the uint8 input into the result exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from ganforge.config import Config
from ganforge.data.loader import to_model_range
from ganforge.errors import GanforgeError
from ganforge.images import to_uint8
from ganforge.inference.export_spec import ExportSpec
from ganforge.inference.uses import InferenceModel, check_call
from ganforge.masks.files import check_mask
from ganforge.models.inpainting_tiling import inpaint_any_size

DEFAULT_TILE = 1024
"""Images with a padded side above this many pixels run in tiles (peak memory: one tile). The
small generators of the presets need ~0.5 KB per pixel of a tile in eval mode, so ~0.5 GB."""
MIN_SIDE = 8
"""Smallest side the exported graph is checked at (two blocks of the gated generator's 4 px)."""


@dataclass
class Inpainter(InferenceModel):
    """A trained inpainting generator ``net(image, mask) -> image``, ready for inference."""

    cfg: Config
    """The config of the run it comes from (data channels and background, the section)."""
    net: nn.Module
    channels: int
    multiple: int
    """Sides the network takes are multiples of this (``inpaint_image`` pads)."""
    context: int
    """Pixels of input an output pixel depends on along each axis (the tiling margin)."""
    network: str = "G"

    @property
    def uses(self) -> dict[str, tuple[str, ...]]:
        return {"inpaint": ("image", "mask")}

    @property
    def module(self) -> nn.Module:
        return self.net

    def describe(self) -> str:
        return f"inpainting {self.network} ({self.cfg.inpaint.generator} convolutions)"

    @property
    def device(self) -> torch.device:
        return next(self.net.parameters()).device

    @property
    def min_size(self) -> int:
        return max(self.multiple, MIN_SIDE)

    def infer(self, use: str, inputs: dict[str, Any]) -> Tensor:
        """``inpaint``: uint8 (N, C, H, W) images and (N, 1, H, W) masks -> uint8 (N, C, H, W),
        each mask checked first (its image's size, something missing and something known)."""
        check_call(self, use, inputs)
        images, masks = inputs["image"], inputs["mask"]
        for k, mask in enumerate(masks):
            check_mask(mask, tuple(images.shape[-2:]), f"#{k}")
        return inpaint_batch(self, images, masks)

    def input_info(self, name: str) -> dict[str, Any]:
        if name == "image":
            return {"channels": self.channels, "size": None, "background": self.cfg.data.background}
        return {}

    def export_config(self) -> dict[str, Any]:
        c = self.channels
        return {
            "network": self.network,
            "generator": self.cfg.inpaint.generator,
            "inputs": {
                "image": {
                    "shape": ["batch", c, "height", "width"],
                    "dtype": "float32",
                    "range": [-1, 1],
                },
                "mask": {
                    "shape": ["batch", 1, "height", "width"],
                    "dtype": "float32",
                    "values": "1 = missing, 0 = known",
                },
            },
            "output": {
                "name": "output",
                "shape": ["batch", c, "height", "width"],
                "range": [-1, 1],
            },
            "channels": c,
            "size_multiple": self.multiple,
            "min_size": self.min_size,
            "receptive_field": 2 * self.context + 1,
            "note": "height and width: multiples of size_multiple, at least min_size (pad the "
            "image and mask, then crop); pixels (x / 127.5 - 1) in, (y + 1) * 127.5 out; known "
            "pixels of image pass through unchanged",
        }

    def export_spec(self) -> ExportSpec:
        net = self.net.cpu().eval()
        m = self.multiple
        blocks = -(-self.min_size // m)
        # Sides are k * m for the stride-2 layers; image and mask share the dims.
        height = m * torch.export.Dim("height_blocks", min=blocks)
        width = m * torch.export.Dim("width_blocks", min=blocks)
        batch = torch.export.Dim("batch", min=1)
        k = max(blocks, 2)  # sizes other than 0 and 1, which torch.export would specialise

        def pair(n: int, kh: int, kw: int) -> tuple[Tensor, Tensor]:
            g = torch.Generator().manual_seed(1000 * n + kh)
            image = torch.rand(n, self.channels, kh * m, kw * m, generator=g) * 2 - 1
            mask = (torch.rand(n, 1, kh * m, kw * m, generator=g) < 0.3).float()
            return image, mask

        axes = {0: batch, 2: height, 3: width}
        return ExportSpec(
            module=_Inpainting(net).eval(),
            example=pair(2, k, k + 1),
            input_names=["image", "mask"],
            output_name="output",
            dynamic_shapes={"image": dict(axes), "mask": dict(axes)},
            config=self.export_config(),
            net=net,
            probes=[pair(1, k + 1, k), pair(3, blocks, k + 2)],
        )


class _Inpainting(nn.Module):
    """forward(image, mask) -> output: the fill in the hole, the image elsewhere."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, image: Tensor, mask: Tensor) -> Tensor:
        hole = mask > 0.5  # (B, 1, H, W); a select keeps the known pixels exactly
        return torch.where(hole, self.net(image, hole.to(image.dtype)), image)


# --------------------------------------------------------------------------- tensors


@torch.no_grad()
def inpaint_batch(
    model: Inpainter, images: Tensor, masks: Tensor, tile: int | None = None
) -> Tensor:
    """uint8 (N, C, H, W) images and (N, 1, H, W) masks (1 = missing) -> uint8 (N, C, H, W), any
    H, W: padded to the network's multiple, whole or in tiles of ``tile`` px, and every known
    pixel copied from ``images`` exactly."""
    if images.ndim != 4 or images.shape[1] != model.channels or images.dtype != torch.uint8:
        raise GanforgeError(
            f"expected uint8 (N, {model.channels}, H, W) images for this run, got "
            f"{images.dtype} {tuple(images.shape)}"
        )
    if masks.shape != (images.shape[0], 1, *images.shape[-2:]):
        raise GanforgeError(
            f"expected (N, 1, H, W) = {(images.shape[0], 1, *images.shape[-2:])} masks, got "
            f"{tuple(masks.shape)}"
        )
    dev = model.device
    hole = masks.bool().to(dev)
    x = to_model_range(images.to(dev))
    out = inpaint_any_size(
        model.net, x, hole.float(), model.multiple, model.context, tile
    )  # (N, C, H, W) in [-1, 1], the known pixels already x's
    return torch.where(hole.cpu(), to_uint8(out), images.cpu())


def inpaint_image(
    model: Inpainter, image: Tensor, mask: Tensor, tile: int = DEFAULT_TILE, what: str = "image"
) -> Tensor:
    """One uint8 (C, H, W) image and its (1, H, W) mask -> uint8 (C, H, W); refuses a mask of
    another size, or one with nothing missing or nothing known, in one line naming ``what``."""
    check_mask(mask, tuple(image.shape[-2:]), what)
    if tile < 1:
        raise GanforgeError(f"--tile {tile} must be positive")
    return inpaint_batch(model, image[None], mask[None], tile)[0]
