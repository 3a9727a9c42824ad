"""Offline demo data for the image-to-image models, made from Fashion-MNIST (which ships inside
ganforge: no download needed).

- ``edges2fashion`` (pix2pix): each item's edge map -> the item, the Fashion-MNIST twin of
  edges2shoes (whose edges came from HED, Xie & Tu 2015). Edges here are the Sobel gradient
  magnitude of the lightly blurred item, thresholded at a fraction of each image's maximum, drawn
  black on white like the pix2pix sets. Deterministic: one pair per item.
- ``sneakers2boots`` (CycleGAN): class 7 (Sneaker) as domain A and class 9 (Ankle boot) as domain
  B, two unpaired sets of different items, like horse2zebra.

Both follow ``data.split`` (the 60,000-image train split when it is found, else the embedded
10,000-image test split, with the usual note) and ``data.max_images`` (taken before the classes are
picked). Images are brought to ``i2i.load_size`` (or ``data.resolution``) and ``data.channels``.
"""

from __future__ import annotations

import dataclasses

import torch
import torch.nn.functional as F
from torch import Tensor

from ganforge.config import DataConfig
from ganforge.data.i2i.domains import TwoDomainData
from ganforge.data.pipeline import load_data
from ganforge.errors import GanforgeError

DEMOS = ("edges2fashion", "sneakers2boots")
EDGE_THRESHOLD = 0.2
"""Fraction of each image's largest gradient above which a pixel is an edge."""
SNEAKER, ANKLE_BOOT = 7, 9


def _fashion(cfg: DataConfig, size: int):
    return load_data(dataclasses.replace(cfg, source="fashion-mnist", resolution=size))


def edge_maps(images: Tensor, threshold: float = EDGE_THRESHOLD, chunk: int = 4096) -> Tensor:
    """uint8 (N, C, H, W) items -> uint8 (N, C, H, W) edge maps: 0 on edges, 255 elsewhere."""
    g = torch.tensor([1.0, 2.0, 1.0])
    blur = (g[:, None] * g[None, :] / 16).view(1, 1, 3, 3)  # 3x3 binomial (Gaussian-like) blur
    sobel_x = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]).view(1, 1, 3, 3)
    out = torch.empty_like(images)
    for s in range(0, len(images), chunk):
        x = images[s : s + chunk].float().mean(dim=1, keepdim=True) / 255  # grey (B, 1, H, W)
        x = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), blur)
        xp = F.pad(x, (1, 1, 1, 1), mode="replicate")
        gx, gy = F.conv2d(xp, sobel_x), F.conv2d(xp, sobel_x.transpose(2, 3))
        mag = torch.sqrt(gx**2 + gy**2)  # (B, 1, H, W)
        peak = mag.amax(dim=(2, 3), keepdim=True).clamp_min(1e-6)
        edges = (mag > threshold * peak).to(torch.uint8)
        out[s : s + chunk] = (255 * (1 - edges)).expand(-1, images.shape[1], -1, -1)
    return out


def load_demo(name: str, cfg: DataConfig, size: int) -> TwoDomainData:
    """The demo ``name`` from Fashion-MNIST (``cfg``: the run's data section), stored at ``size``."""
    data = _fashion(cfg, size)
    report = dict(data.report)
    report.update(source=name, demo_of="fashion-mnist")
    if name == "edges2fashion":
        report.update(layout="paired: Sobel edge map -> item", edge_threshold=EDGE_THRESHOLD)
        return TwoDomainData(
            data.images, None, 0, name, report=report, sources=edge_maps(data.images), paired=True
        )
    if name == "sneakers2boots":
        a = data.images[data.labels == SNEAKER]
        b = data.images[data.labels == ANKLE_BOOT]
        if len(a) == 0 or len(b) == 0:
            raise GanforgeError(
                f"sneakers2boots: data.max_images={cfg.max_images} leaves no sneakers or "
                "no ankle boots: raise it"
            )
        report.update(layout="unpaired: Sneaker (A) / Ankle boot (B)", n_a=len(a), n_b=len(b))
        return TwoDomainData(b, None, 0, name, report=report, sources=a, paired=False)
    raise GanforgeError(f"unknown demo {name!r}: one of {', '.join(DEMOS)}")
