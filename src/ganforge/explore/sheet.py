"""A numbered sample sheet: the catalogue users pick exemplars from for arithmetic and walks.

DCGAN's vector arithmetic (Radford, Metz & Chintala 2016, section 6.3.2) starts by choosing a few
samples that show each concept. The number under each image is its index for the sheet's seed,
which ``ganforge arithmetic --seed S --a 3,18,52`` and ``ganforge interpolate --from 12 --to 40``
take to rebuild exactly those latents (see ``latents.py``).
"""

from __future__ import annotations

import math

import numpy as np

from ganforge.explore.figure import auto_scale, compose
from ganforge.explore.sample import Samples
from ganforge.images import to_uint8


def sheet(samples: Samples, cols: int | None = None, scale: int | None = None) -> np.ndarray:
    """(H, W, C) uint8 figure: samples in rows of ``cols``, each captioned with its index."""
    images = to_uint8(samples.images)  # (N, C, H, W)
    n = images.shape[0]
    cols = cols or math.ceil(math.sqrt(n))
    rows, captions = [], []
    for start in range(0, n, cols):  # one entry per row of the figure
        rows.append(list(images[start : start + cols]))
        captions.append([str(int(i)) for i in samples.index[start : start + cols]])
    return compose(rows, captions=captions, scale=scale or auto_scale(images.shape[-1]))
