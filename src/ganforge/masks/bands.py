"""Fixed evaluation masks in bands of missing share, for both kinds of hole.

Inpainting quality depends mostly on how much is missing, so scores are reported per band, as in
Liu et al. 2018 ("Image Inpainting for Irregular Holes Using Partial Convolutions", ECCV: six
bands of hole-to-image area ratio) and Yu et al. 2019 (rectangular and free-form masks
scored apart). Our three bands: 10-20 %, 20-40 %, 40-60 % of the pixels missing, each with
rectangles (Pathak et al. 2016, Iizuka et al. 2017) and brush strokes (Yu et al. 2019).

The masks are a pure function of (kind, band, n, size, seed): drawn on the CPU from a generator
seeded by the seed, the kind and the band, so every model, baseline and machine is scored on the
same holes, and each (kind, band) draws its own stream (asking for more masks of one band does
not change another band's).
"""

from __future__ import annotations

import zlib

import torch
from torch import Tensor

from ganforge.errors import GanforgeError
from ganforge.masks import SAMPLERS

BANDS: dict[str, tuple[float, float]] = {
    "10-20": (0.10, 0.20),
    "20-40": (0.20, 0.40),
    "40-60": (0.40, 0.60),
}
"""Evaluation bands: name -> (min_share, max_share) of the pixels missing."""


def band_seed(kind: str, band: str, seed: int) -> int:
    """The generator seed of one (kind, band): stable across Python runs (crc32, not hash())."""
    return (seed * 1_000_003 + zlib.crc32(f"{kind}:{band}".encode())) % (2**63)


def band_masks(kind: str, band: str, n: int, size: tuple[int, int], seed: int = 0) -> Tensor:
    """``n`` fixed masks (n, 1, H, W) float32 on the CPU, 1 = missing, whose share of missing
    pixels lies in ``BANDS[band]``; ``kind`` is "rectangles" or "strokes"."""
    if kind not in SAMPLERS:
        raise GanforgeError(f"unknown mask kind {kind!r}: use one of {', '.join(SAMPLERS)}")
    if band not in BANDS:
        raise GanforgeError(f"unknown mask band {band!r}: use one of {', '.join(BANDS)}")
    gen = torch.Generator().manual_seed(band_seed(kind, band, seed))
    lo, hi = BANDS[band]
    return SAMPLERS[kind](n, size, lo, hi, gen)[0]
