"""Whole-data-set transforms on uint8 tensors: resizing and channel conversion.

These bring an array data set (IDX, CIFAR) to ``data.resolution`` (a side, or (height, width))
and ``data.channels`` (1, 3, or 4 = RGBA) in a few vectorised calls instead of one Pillow call per
image. Their plain references are Pillow's own
``Image.resize(..., BILINEAR)`` and ``Image.convert("L")``; ``tests/data/test_transforms.py``
checks that each pair agrees. Image folders are cleaned per image with Pillow in ``folder.py``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

Size = int | tuple[int, int] | list[int]
"""A side (square images) or (height, width)."""


def as_hw(size: Size) -> tuple[int, int]:
    """(height, width) of ``size``."""
    return (int(size), int(size)) if isinstance(size, int) else (int(size[0]), int(size[1]))


# ITU-R BT.601 luma, L = 0.299 R + 0.587 G + 0.114 B, in the 16-bit fixed point Pillow uses
# (libImaging/Convert.c, L24) so that grey CIFAR and grey folder images are computed alike.
_LUMA_16 = (19595, 38470, 7471)


def rgb_to_gray(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 3, H, W) -> uint8 (N, 1, H, W) by ITU-R 601 luma, bit-identical to Pillow's "L"."""
    x = images.to(torch.int32)
    luma = x[:, 0] * _LUMA_16[0] + x[:, 1] * _LUMA_16[1] + x[:, 2] * _LUMA_16[2]
    return ((luma + 0x8000) >> 16).to(torch.uint8).unsqueeze(1)


def composite(images: torch.Tensor, background: tuple[int, int, int] = (255, 255, 255)):
    """uint8 RGBA (N, 4, H, W) -> RGB (N, 3, H, W) over ``background`` (straight alpha):
    rgb * a + bg * (1 - a), rounded, as Pillow's ``alpha_composite`` onto an opaque colour."""
    rgb, a = images[:, :3].to(torch.int32), images[:, 3:4].to(torch.int32)
    bg = torch.tensor(background, dtype=torch.int32).view(1, 3, 1, 1)
    return ((rgb * a + bg * (255 - a) + 127) // 255).to(torch.uint8)


def convert_channels(images: torch.Tensor, channels: int) -> torch.Tensor:
    """uint8 (N, C, H, W) with C in {1, 3, 4} -> (N, channels, H, W): 1->3 repeats, 3->1 takes
    luma, grey or RGB -> 4 adds an opaque alpha plane, 4 -> 3 or 1 composites onto white."""
    c = images.shape[1]
    if c == channels:
        return images
    if c == 4:
        return convert_channels(composite(images), channels)
    if channels == 4:
        rgb = convert_channels(images, 3)
        return torch.cat([rgb, torch.full_like(rgb[:, :1], 255)], dim=1)
    if c == 1 and channels == 3:
        return images.repeat(1, 3, 1, 1)  # a real copy: later in-place ops must not alias
    if c == 3 and channels == 1:
        return rgb_to_gray(images)
    raise ValueError(f"cannot convert {c} channels to {channels}")


def resize_images(images: torch.Tensor, size: Size, chunk: int = 8192) -> torch.Tensor:
    """uint8 (N, C, H, W) -> (N, C, size_h, size_w): scaled to cover the target, centre cropped.

    Bilinear with antialiasing (the kernel widens when shrinking, so 64 -> 28 does not alias).
    PyTorch's uint8 path for ``bilinear, antialias=True`` reproduces Pillow's BILINEAR resize
    (it was written to match it) and avoids a float copy of the whole set; ``chunk`` bounds the
    working memory whatever N is.
    """
    n, c, h, w = images.shape
    th, tw = as_hw(size)
    if h == th and w == tw:
        return images
    scale = max(th / h, tw / w)  # the smallest scale that covers the target: crop, never pad
    new_h, new_w = max(th, round(h * scale)), max(tw, round(w * scale))
    top, left = (new_h - th) // 2, (new_w - tw) // 2
    out = torch.empty((n, c, th, tw), dtype=torch.uint8)
    for start in range(0, n, chunk):
        y = F.interpolate(
            images[start : start + chunk].contiguous(),
            size=(new_h, new_w),
            mode="bilinear",
            align_corners=False,
            antialias=True,
        )  # (B, C, new_h, new_w) uint8
        out[start : start + chunk] = y[:, :, top : top + th, left : left + tw]
    return out


def conform(images: torch.Tensor, resolution: Size, channels: int) -> torch.Tensor:
    """Bring uint8 (N, C, H, W) to (N, channels, height, width) of ``resolution``."""
    # Reduce channels before resizing and add them after: the resize then touches as few planes
    # as possible, and the result is the same because both operations are per-pixel linear maps
    # up to rounding.
    if images.shape[1] > channels:
        images = convert_channels(images, channels)
    images = resize_images(images, resolution)
    return convert_channels(images, channels)
