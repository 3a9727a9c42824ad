"""A numbered sample sheet: the catalogue users pick exemplars from for arithmetic and walks.

DCGAN's vector arithmetic (Radford, Metz & Chintala 2016, section 6.3.2) starts by choosing a few
samples that show each concept. The number under each image is its index for the sheet's seed,
which ``ganforge arithmetic --seed S --a 3,18,52`` and ``ganforge interpolate --from 12 --to 40``
take to rebuild exactly those images (see ``latents.py``). For a class-conditional run the class
is part of what a number means (sample i has class i mod K unless ``--label`` fixes it), so it is
written under the number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ganforge.explore.figure import auto_scale, compose
from ganforge.explore.sample import Samples
from ganforge.images import to_uint8


def class_name(y: int, class_names: Sequence[str] = ()) -> str:
    """The name of class ``y`` when the run recorded one, else its number."""
    return class_names[y] if 0 <= y < len(class_names) else f"class {y}"


def captions(samples: Samples, class_names: Sequence[str] = ()) -> list[str]:
    """One caption per sample: its index, and on a second line its class (conditional runs)."""
    out = [str(int(i)) for i in samples.index]
    if samples.y is None:
        return out
    return [f"{c}\n{class_name(int(y), class_names)}" for c, y in zip(out, samples.y)]


def sheet(
    samples: Samples,
    cols: int | None = None,
    scale: int | None = None,
    class_names: Sequence[str] = (),
) -> np.ndarray:
    """(H, W, C) uint8 figure: samples in rows of ``cols``, each captioned with its index (and
    class)."""
    images = to_uint8(samples.images)  # (N, C, H, W)
    n = images.shape[0]
    cols = cols or math.ceil(math.sqrt(n))
    text = captions(samples, class_names)
    rows, row_captions = [], []
    for start in range(0, n, cols):  # one entry per row of the figure
        rows.append(list(images[start : start + cols]))
        row_captions.append(text[start : start + cols])
    return compose(rows, captions=row_captions, scale=scale or auto_scale(images.shape[-1]))
