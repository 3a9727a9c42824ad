"""Image utilities on NumPy and Pillow (torchvision is not a dependency): grids and PNG files."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image

# Re-exported: the trainer, reports and commands import it from here.
from ganforge.atomic import atomic_write_bytes


def to_uint8(x: torch.Tensor) -> torch.Tensor:
    """[-1, 1] float -> [0, 255] uint8 with rounding (the quantisation every metric sees)."""
    return x.detach().float().add(1).mul(127.5).round_().clamp_(0, 255).to(torch.uint8).cpu()


def make_grid(
    images: torch.Tensor, nrow: int | None = None, pad: int = 2, fill: int = 0
) -> np.ndarray:
    """(N, C, H, W) uint8 -> (rows*(H+pad)+pad, cols*(W+pad)+pad, C) uint8, row-major order."""
    n, c, h, w = images.shape
    cols = nrow or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    grid = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, c), fill, dtype=np.uint8)
    arr = images.permute(0, 2, 3, 1).numpy()
    for i in range(n):  # at most a few hundred tiles per figure: not a hot path
        r, k = divmod(i, cols)
        y, x = pad + r * (h + pad), pad + k * (w + pad)
        grid[y : y + h, x : x + w] = arr[i]
    return grid


def to_pil(array: np.ndarray) -> Image.Image:
    return Image.fromarray(array[..., 0] if array.shape[-1] == 1 else array)


def save_png(path: str | Path, array: np.ndarray) -> None:
    """Write an (H, W, C) uint8 array as PNG atomically."""
    buf = io.BytesIO()
    to_pil(array).save(buf, format="PNG")
    atomic_write_bytes(path, buf.getvalue())


def save_grid(path: str | Path, images: torch.Tensor, nrow: int | None = None) -> None:
    save_png(path, make_grid(images, nrow))
