"""Super-resolution data: high-resolution images in memory, low-resolution inputs made per batch.

Ledig et al. 2017 (SRGAN), section 3.1: "We obtained the LR images by downsampling the HR images
(BGR, C = 3) using bicubic kernel with downsampling factor r = 4", from random 96 x 96 HR
sub-images. Here any ``data.source`` works (``folder:PATH``, fashion-mnist, cifar10, ...): the
images are stored at ``i2i.load_size`` (a folder's images: short side scaled, centre square), each
batch cuts random ``data.resolution`` HR crops (``domains.apply_crops``) and downscales the whole
batch at once with an antialiased bicubic filter (``torch.nn.functional.interpolate`` with
``antialias=True``, which widens the kernel when shrinking as Pillow's BICUBIC resize does).
The LR batch is rounded to 8-bit levels, as the files ``ganforge upscale`` reads later will be.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import torch.nn.functional as F
from torch import Tensor

from ganforge.data.dataset import ImageData

if TYPE_CHECKING:
    from ganforge.config import Config


def load_sr(cfg: Config) -> ImageData:
    """The HR images of ``cfg.data.source`` at ``i2i.load_size`` (or ``data.resolution``)."""
    from ganforge.data import load_data

    size = cfg.i2i.load_size or cfg.data.resolution
    data = load_data(dataclasses.replace(cfg.data, resolution=size), seed=cfg.train.seed)
    data.report.update(hr_crop=cfg.data.resolution, scale=cfg.i2i.scale)
    return data


def quantize(x: Tensor) -> Tensor:
    """[-1, 1] floats -> the nearest of the 256 uint8 levels, still as [-1, 1] floats."""
    return x.add(1).mul(127.5).round().clamp(0, 255).div(127.5).sub(1)


def downscale(hr: Tensor, scale: int) -> Tensor:
    """(B, C, H, W) in [-1, 1] -> (B, C, H/scale, W/scale): antialiased bicubic, 8-bit levels."""
    h, w = hr.shape[-2:]
    lr = F.interpolate(
        hr.float(),
        size=(h // scale, w // scale),
        mode="bicubic",
        align_corners=False,
        antialias=True,
    )
    return quantize(lr.clamp(-1, 1))


def bicubic_upscale(lr: Tensor, scale: int) -> Tensor:
    """The trivial baseline SR is measured against: plain bicubic interpolation, clamped."""
    up = F.interpolate(lr.float(), scale_factor=scale, mode="bicubic", align_corners=False)
    return up.clamp(-1, 1)
