"""Memorisation check: are generated samples copies of training images?

For each fake, find its nearest training image in pixel space (L2 on [0, 1] pixels) and, when
features are given, in feature space. Distances alone mean little (how close is "too close" depends
on the data), so we calibrate them against held-out reals: the nearest-training-image distances of
the *test* split, which by construction contains no copies. A fake is a **near copy** when its
distance is below the threshold t = the k-th smallest of the n test distances, k =
ceil(n * ``percentile`` / 100) (the ``percentile``-th percentile, default 1st). A generator that
samples the data distribution without copying produces about ``percentile``% near copies; we flag
memorisation when the observed count is significantly higher: one-sided p-value < ``alpha`` = 1e-3.

The test accounts for t being estimated: at the default 2,000 held-out images the 1st percentile
rests on ~20 points, and a plain binomial test with p = 1% would treat it as exact. Under the null
(fakes distributed like held-out reals, distances continuous) the probability q = F(t) that a fake
falls below t is the k-th uniform order statistic, q ~ Beta(k, n - k + 1), so the count of near
copies among m fakes is Beta-Binomial(m, k, n - k + 1), an exact null distribution whose spread
includes the threshold's own noise; ``expected_fraction`` is its mean, k / (n + 1). The flag uses
pixel space, where "copy" has its literal meaning; feature-space numbers are reported beside it
because they also catch copies that were shifted or re-coloured slightly.

Papers: the nearest-neighbour check on training data is Theis et al. 2016, "A note on the
evaluation of generative models" (ICLR), section 3.2, which also warns that pixel L2 neighbours
are a weak test on their own; calibrating against test-to-train distances follows Meehan et al.
2020, "A Non-Parametric Test to Detect Data-Copying in Generative Models" (AISTATS).
Reference implementation: https://github.com/casey-meehan/data-copying (`C_T` compares
generated-to-train against test-to-train nearest-neighbour distances); the near-copy count and the
pairs figure are ours.
"""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.stats
import torch
from PIL import Image
from torch import Tensor

from ganforge.errors import GanforgeError
from ganforge.metrics.features import as_uint8_images
from ganforge.metrics.knn import nearest_neighbours

PERCENTILES = (1, 5, 25, 50, 75)


@dataclass
class SpaceStats:
    """Nearest-training-neighbour distances of fakes vs. of test reals, in one space."""

    fake_percentiles: dict[str, float]  # "p1" ... "p75" of fake -> train NN distances
    test_percentiles: dict[str, float]  # same for test -> train
    threshold: float  # the k-th smallest test distance, k = ceil(n_test * percentile / 100)
    near_copies: int  # fakes with NN distance < threshold
    near_copy_fraction: float
    expected_fraction: float  # k / (n_test + 1): what a non-copying generator gives on average
    p_value: float  # one-sided beta-binomial test of near_copies (threshold noise included)
    flagged: bool


@dataclass
class MemorizationReport:
    pixel: SpaceStats
    feature: SpaceStats | None
    exact_copies: int  # fakes identical to some training image (pixel distance 0)
    near_copies: int  # pixel-space near copies (the headline number)
    memorization: bool  # the pixel-space flag
    closest: list[dict[str, float]] = field(default_factory=list)  # fake, train, distance
    png: str | None = None
    counts: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _space_stats(fake_nn: Tensor, test_nn: Tensor, percentile: float, alpha: float) -> SpaceStats:
    f, t = fake_nn.numpy(), test_nn.numpy()
    n, m = len(t), len(f)
    k = max(1, math.ceil(n * percentile / 100.0))  # the threshold's rank among the test distances
    threshold = float(np.partition(t, k - 1)[k - 1])
    near = int((f < threshold).sum())
    # P(X >= near) for X ~ BetaBinomial(m, k, n - k + 1): sf(near - 1). See the module docstring.
    null = scipy.stats.betabinom(m, k, n - k + 1)
    p_value = float(null.sf(near - 1)) if near > 0 else 1.0
    return SpaceStats(
        fake_percentiles={f"p{q}": float(np.percentile(f, q)) for q in PERCENTILES},
        test_percentiles={f"p{q}": float(np.percentile(t, q)) for q in PERCENTILES},
        threshold=threshold,
        near_copies=near,
        near_copy_fraction=near / m,
        expected_fraction=k / (n + 1),
        p_value=p_value,
        flagged=p_value < alpha,
    )


def memorization_report(
    fake_images: Tensor | np.ndarray,
    train_images: Tensor | np.ndarray,
    test_images: Tensor | np.ndarray,
    fake_features: np.ndarray | Tensor | None = None,
    train_features: np.ndarray | Tensor | None = None,
    test_features: np.ndarray | Tensor | None = None,
    percentile: float = 1.0,
    alpha: float = 1e-3,
    k_pairs: int = 16,
    png_path: str | Path | None = None,
    block: int = 1024,
) -> MemorizationReport:
    """Nearest training neighbours of fakes, calibrated by test -> train distances.

    Images are uint8 (N, C, H, W) of one shape. Features (optional, all three or none) are rows
    aligned with the images, e.g. ``Extractor.extract(...)["pool"]``. Subsample the test split
    beforehand if it is large: its NN search costs |test| x |train| distances.
    """
    fake = as_uint8_images(fake_images, "fake images")
    train = as_uint8_images(train_images, "training images")
    test = as_uint8_images(test_images, "test images")
    if not (fake.shape[1:] == train.shape[1:] == test.shape[1:]):
        raise GanforgeError(
            f"image shapes differ: fake {tuple(fake.shape[1:])}, train {tuple(train.shape[1:])}, "
            f"test {tuple(test.shape[1:])}; resize the fakes to the data resolution first"
        )
    if len(test) < 100 / percentile:
        raise GanforgeError(
            f"{len(test)} test images cannot estimate a {percentile}th percentile; "
            f"pass at least {math.ceil(100 / percentile)}"
        )
    # Pixel space: L2 on [0, 1] values; uint8 rows are converted tile by tile inside knn.
    fake_d, fake_i = nearest_neighbours(fake, train, block)
    test_d, _ = nearest_neighbours(test, train, block)
    fake_d, test_d = fake_d / 255.0, test_d / 255.0
    pixel = _space_stats(fake_d, test_d, percentile, alpha)

    feature = None
    given = [x is not None for x in (fake_features, train_features, test_features)]
    if any(given):
        if not all(given):
            raise GanforgeError("pass fake, train and test features together, or none of them")
        rows = (len(fake_features), len(train_features), len(test_features))
        if rows != (len(fake), len(train), len(test)):
            raise GanforgeError(f"feature rows {rows} do not match image counts")
        ff_d, _ = nearest_neighbours(fake_features, train_features, block)
        tf_d, _ = nearest_neighbours(test_features, train_features, block)
        feature = _space_stats(ff_d, tf_d, percentile, alpha)

    order = torch.argsort(fake_d)[:k_pairs]
    closest = [
        {"fake": int(i), "train": int(fake_i[i]), "distance": float(fake_d[i])} for i in order
    ]
    png = None
    if png_path is not None and closest:
        pairs = [(c["fake"], c["train"]) for c in closest]
        png = str(save_pairs_png(fake, train, pairs, png_path))
    return MemorizationReport(
        pixel=pixel,
        feature=feature,
        exact_copies=int((fake_d == 0).sum()),
        near_copies=pixel.near_copies,
        memorization=pixel.flagged,
        closest=closest,
        png=png,
        counts={"fake": len(fake), "train": len(train), "test": len(test)},
    )


def save_pairs_png(
    fake: Tensor, train: Tensor, pairs: list[tuple[int, int]], path: str | Path, per_row: int = 4
) -> Path:
    """Grid of (generated | nearest training image) pairs, written atomically as PNG."""
    c, h, w = fake.shape[1:]
    scale = max(1, math.ceil(64 / max(h, w)))  # upscale thumbnails so a 28x28 pair is visible
    gap, pad = 2, 8  # between the two images of a pair / between pairs
    pair_w = 2 * w + gap
    rows = math.ceil(len(pairs) / per_row)
    cols = min(per_row, len(pairs))
    canvas = np.full((c, rows * (h + pad) + pad, cols * (pair_w + pad) + pad), 255, np.uint8)
    for n, (fi, ti) in enumerate(pairs):
        y = pad + (n // per_row) * (h + pad)
        x = pad + (n % per_row) * (pair_w + pad)
        canvas[:, y : y + h, x : x + w] = fake[fi].numpy()
        canvas[:, y : y + h, x + w + gap : x + pair_w] = train[ti].numpy()
    canvas = canvas.repeat(scale, axis=1).repeat(scale, axis=2)
    image = Image.fromarray(canvas[0] if c == 1 else canvas.transpose(1, 2, 0))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Temp file in the same folder + os.replace: a reader never sees a half-written PNG.
    fd, tmp = tempfile.mkstemp(suffix=".png", dir=path.parent)
    os.close(fd)
    try:
        image.save(tmp, format="PNG")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
