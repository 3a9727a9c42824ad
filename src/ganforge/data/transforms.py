"""Whole-data-set transforms on uint8 tensors: resizing and channel conversion.

These bring an array data set (IDX, CIFAR) to ``data.resolution`` and ``data.channels`` in a few
vectorised calls instead of one Pillow call per image. Their plain references are Pillow's own
``Image.resize(..., BILINEAR)`` and ``Image.convert("L")``; ``tests/data/test_transforms.py``
checks that each pair agrees. Image folders are cleaned per image with Pillow in ``folder.py``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

# ITU-R BT.601 luma, L = 0.299 R + 0.587 G + 0.114 B, in the 16-bit fixed point Pillow uses
# (libImaging/Convert.c, L24) so that grey CIFAR and grey folder images are computed alike.
_LUMA_16 = (19595, 38470, 7471)


def rgb_to_gray(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 3, H, W) -> uint8 (N, 1, H, W) by ITU-R 601 luma, bit-identical to Pillow's "L"."""
    x = images.to(torch.int32)
    luma = x[:, 0] * _LUMA_16[0] + x[:, 1] * _LUMA_16[1] + x[:, 2] * _LUMA_16[2]
    return ((luma + 0x8000) >> 16).to(torch.uint8).unsqueeze(1)


def convert_channels(images: torch.Tensor, channels: int) -> torch.Tensor:
    """uint8 (N, C, H, W) with C in {1, 3} -> (N, channels, H, W): 1->3 repeats, 3->1 takes luma."""
    c = images.shape[1]
    if c == channels:
        return images
    if c == 1 and channels == 3:
        return images.repeat(1, 3, 1, 1)  # a real copy: later in-place ops must not alias
    if c == 3 and channels == 1:
        return rgb_to_gray(images)
    raise ValueError(f"cannot convert {c} channels to {channels}")


def resize_images(images: torch.Tensor, size: int, chunk: int = 8192) -> torch.Tensor:
    """uint8 (N, C, H, W) -> (N, C, size, size): short side scaled to ``size``, centre cropped.

    Bilinear with antialiasing (the kernel widens when shrinking, so 64 -> 28 does not alias).
    PyTorch's uint8 path for ``bilinear, antialias=True`` reproduces Pillow's BILINEAR resize
    (it was written to match it) and avoids a float copy of the whole set; ``chunk`` bounds the
    working memory whatever N is.
    """
    n, c, h, w = images.shape
    if h == size and w == size:
        return images
    scale = size / min(h, w)
    new_h, new_w = max(size, round(h * scale)), max(size, round(w * scale))
    top, left = (new_h - size) // 2, (new_w - size) // 2
    out = torch.empty((n, c, size, size), dtype=torch.uint8)
    for start in range(0, n, chunk):
        y = F.interpolate(
            images[start : start + chunk].contiguous(),
            size=(new_h, new_w),
            mode="bilinear",
            align_corners=False,
            antialias=True,
        )  # (B, C, new_h, new_w) uint8
        out[start : start + chunk] = y[:, :, top : top + size, left : left + size]
    return out


def conform(images: torch.Tensor, resolution: int, channels: int) -> torch.Tensor:
    """Bring uint8 (N, C, H, W) to (N, channels, resolution, resolution)."""
    # Reduce channels before resizing and add them after: the resize then touches as few planes
    # as possible, and the result is the same because both operations are per-pixel linear maps
    # up to rounding.
    if images.shape[1] > channels:
        images = convert_channels(images, channels)
    images = resize_images(images, resolution)
    return convert_channels(images, channels)
