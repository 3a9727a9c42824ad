"""Masks from users' files: white means missing.

A mask file may be in any mode Pillow reads from an image folder (``data/files/decode.py``: PNG, JPEG,
BMP, GIF, WEBP, TIFF, ...): 1, L, LA, P, PA, RGB, RGBA, CMYK, 16-bit and float grey. It is
decoded with the same bounded, header-first decoder as the data sets (``decode.decode``: the size
the header claims is checked before a pixel is decoded, never shrunk here since a mask must keep
its image's size) and reduced to one grey value per pixel by ``folder.normalize_image``: EXIF
orientation applied (as for the images), deep grey scaled to 8 bits by its type's range
(65535 -> 255), colour to ITU-R 601 luma.

A pixel is missing when its grey value is at least half the range: >= 128 of 255, i.e. > 32767.5
of 65535 for 16-bit files; grey, anti-aliased edges fall on one side or the other.

Alpha: a pixel is missing only where it is white *and* opaque. The file is composited over black
(grey x alpha), so transparent pixels are known whatever colour they hide. This reads the two
common ways of drawing a mask alike: white strokes on a black layer, and white strokes on a
transparent layer (the usual export of a mask painted in an editor); a half-transparent white
pixel counts as missing from alpha 128 on. An image whose *transparent* pixels mark its holes is
not a mask file: save its alpha, inverted, as one.

Refused, each with one line naming the file: a file that is not a readable image, a mask of
another size than its image, an all-black mask (nothing to fill) and an all-white one (nothing
known to fill from).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from ganforge.data.files.decode import MAX_PIXELS, decode
from ganforge.data.sources.folder import normalize_image
from ganforge.errors import GanforgeError

THRESHOLD = 128
"""8-bit grey values from here on are missing: half of 0..255, rounded up (127.5)."""
_NO_SHRINK = 1 << 30  # a short side no file reaches: decode keeps the full resolution


def _grey(img: Image.Image) -> np.ndarray:
    """A decoded mask file -> uint8 (H, W): oriented, 8-bit, composited over black, luma."""
    return np.asarray(normalize_image(img, 1, (0, 0, 0)), dtype=np.uint8)


def check_mask(mask: Tensor, image_size: tuple[int, int] | None, name: str) -> None:
    """Refuse a (..., H, W) mask (1 = missing) of another size than ``image_size`` (H, W), or one
    with nothing missing or nothing known; ``name`` (the file) starts each one-line message."""
    h, w = mask.shape[-2:]
    if image_size is not None and (h, w) != tuple(image_size):
        ih, iw = image_size
        raise GanforgeError(
            f"mask {name} is {w}x{h} pixels but its image is {iw}x{ih}: "
            "a mask must have its image's size"
        )
    missing = int(mask.bool().sum())
    if missing == 0:
        raise GanforgeError(
            f"mask {name} is all black: nothing to fill in (white marks the pixels to fill)"
        )
    if missing == h * w:
        raise GanforgeError(
            f"mask {name} is all white: no pixel of its image is known (black marks the pixels "
            "to keep)"
        )


def read_mask(
    path: str | Path, image_size: tuple[int, int] | None = None, max_pixels: int = MAX_PIXELS
) -> Tensor:
    """The mask in ``path`` as float32 (1, H, W), 1 = missing, checked against its image's
    ``image_size`` (H, W) when given; a bad file is a one-line GanforgeError naming it."""
    grey = decode(Path(path), _NO_SHRINK, _grey, max_pixels=max_pixels)
    if isinstance(grey, str):  # decode's reason the file cannot be used
        raise GanforgeError(f"mask {path}: {grey}")
    mask = torch.from_numpy(grey >= THRESHOLD).unsqueeze(0)  # (1, H, W) bool
    check_mask(mask, image_size, str(path))
    return mask.float()
