"""Mode coverage: which modes (toy mixture components, or image classes) a generator produces.

(a) 2-D toy mixtures (ring of 8 / grid of 25 Gaussians). Paper protocol: Metz et al. 2017,
"Unrolled Generative Adversarial Networks" (ICLR) and Srivastava et al. 2017, "VEEGAN" (NeurIPS):
a sample is *high quality* if it lies within 3 standard deviations of its nearest mode centre; a
mode is *covered* when enough high-quality samples fall on it. For "enough" we follow our reading
of Lin et al. 2018, "PacGAN" (NeurIPS), section 5.1: with 2,500 samples over 25 modes, a mode with
fewer than 20 high-quality samples (20% of the N/K = 100 a perfect generator gives it) counts as
lost. We keep that ratio, ``min_fraction = 0.2`` of N/K, so the rule scales with N and K.
Reference implementations: https://github.com/fjxmlzn/PacGAN (toy-data evaluation) and
https://github.com/akashgit/VEEGAN.

Centres of the package's toys: ``ganforge.data.sources.toy.ring_centers()`` / ``grid_centers()``.

(b) Labelled images: the classifier's predicted-class histogram of the fakes against the real class
distribution, as in the "number of modes" counts on stacked MNIST (Metz et al. 2017; Srivastava
et al. 2017) with KL(generated || real) of the class distributions (VEEGAN table 1, PacGAN). A
class is *present* when its share of fakes reaches ``min_fraction`` (0.2) of its real share: high
enough that the ~1-7% misclassifications of a 93%-accurate classifier spread over other classes
do not count as generated modes, low enough that a mildly unbalanced generator is not flagged.
``mode_collapse`` is set when any class present in the real data is absent from the fakes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics.fid import as_float64


@dataclass
class ToyModeCoverage:
    modes_covered: int
    num_modes: int
    high_quality_fraction: float  # share of samples within 3 std of their nearest mode
    counts: list[int]  # high-quality samples per mode
    min_count: int  # the threshold a mode's count had to reach


def toy_mode_coverage(
    samples: np.ndarray | torch.Tensor,
    centres: np.ndarray | torch.Tensor,
    std: float,
    num_std: float = 3.0,
    min_fraction: float = 0.2,
) -> ToyModeCoverage:
    """Samples (N, 2), mode centres (K, 2), per-mode std -> covered modes and quality share."""
    x, c = as_float64(samples), as_float64(centres)
    if x.ndim != 2 or c.ndim != 2 or x.shape[1] != c.shape[1]:
        raise GanforgeError(f"samples (N, D) and centres (K, D) needed, got {x.shape}, {c.shape}")
    if std <= 0:
        raise GanforgeError(f"mode std must be positive, got {std}")
    d = np.linalg.norm(x[:, None, :] - c[None, :, :], axis=-1)  # (N, K); K is small
    nearest = d.argmin(axis=1)
    high_quality = d[np.arange(len(x)), nearest] <= num_std * std
    counts = np.bincount(nearest[high_quality], minlength=len(c))
    min_count = max(1, math.ceil(min_fraction * len(x) / len(c)))
    return ToyModeCoverage(
        modes_covered=int((counts >= min_count).sum()),
        num_modes=len(c),
        high_quality_fraction=float(high_quality.mean()),
        counts=counts.tolist(),
        min_count=min_count,
    )


@dataclass
class ClassCoverage:
    classes_present: int
    num_classes: int  # classes that occur in the real data
    kl_fake_real: float  # KL(fake class distribution || real), smoothed, in nats
    mode_collapse: bool
    fake_histogram: list[int]
    real_histogram: list[int]


def _labels(x: np.ndarray | torch.Tensor, num_classes: int | None, what: str) -> np.ndarray:
    a = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    if a.ndim == 2:  # logits or probabilities -> predicted class
        a = a.argmax(axis=1)
    if a.ndim != 1 or not np.issubdtype(a.dtype, np.integer):
        raise GanforgeError(f"{what} must be class indices (N,) or logits (N, K), got {a.shape}")
    if len(a) == 0 or a.min() < 0 or (num_classes is not None and a.max() >= num_classes):
        raise GanforgeError(f"{what} must be non-empty indices in [0, {num_classes})")
    return a


def class_coverage(
    fake_predictions: np.ndarray | torch.Tensor,
    real_labels: np.ndarray | torch.Tensor,
    num_classes: int,
    min_fraction: float = 0.2,
    smoothing: float = 1.0,
) -> ClassCoverage:
    """Class histogram of fakes (predicted labels or logits) against real labels.

    The KL uses additive (Laplace) smoothing of ``smoothing`` counts per class on both sides, so a
    class missing from either side gives a large but finite value.
    """
    fake = _labels(fake_predictions, num_classes, "fake predictions")
    real = _labels(real_labels, num_classes, "real labels")
    h_fake = np.bincount(fake, minlength=num_classes)
    h_real = np.bincount(real, minlength=num_classes)
    p = (h_fake + smoothing) / (h_fake.sum() + smoothing * num_classes)
    q = (h_real + smoothing) / (h_real.sum() + smoothing * num_classes)
    real_share, fake_share = h_real / h_real.sum(), h_fake / h_fake.sum()
    in_real = real_share > 0
    present = in_real & (fake_share >= min_fraction * real_share)
    return ClassCoverage(
        classes_present=int(present.sum()),
        num_classes=int(in_real.sum()),
        kl_fake_real=float(np.sum(p * np.log(p / q))),
        mode_collapse=bool(present.sum() < in_real.sum()),
        fake_histogram=h_fake.tolist(),
        real_histogram=h_real.tolist(),
    )


@dataclass
class StackedCoverage:
    modes_covered: int
    """Distinct (c_R, c_G, c_B) triplets among the fakes: the StackedMNIST "modes" count."""
    num_modes: int
    kl_fake_real: float
    """KL(generated mode distribution || real), smoothed, in nats (the "reverse KL" reported with
    it by VEEGAN, table 1, and PacGAN)."""
    fake_histogram: list[int]


def stacked_mode_coverage(
    plane_predictions: list[np.ndarray | torch.Tensor],
    real_modes: np.ndarray | torch.Tensor,
    classes: int = 10,
    smoothing: float = 1.0,
) -> StackedCoverage:
    """Modes of stacked images from the per-plane class predictions (logits or labels) of their
    R, G and B planes: mode = c_R * classes^2 + c_G * classes + c_B (Metz et al. 2017;
    Srivastava et al. 2017). A mode counts as covered when at least one fake falls on it, the
    protocol's rule, so it is reported beside the KL, which weighs how evenly they are covered."""
    if len(plane_predictions) != 3:
        raise GanforgeError("stacked images have three planes: give three prediction arrays")
    labels = [
        _labels(p, classes, f"plane {i} predictions") for i, p in enumerate(plane_predictions)
    ]
    if not len(labels[0]) == len(labels[1]) == len(labels[2]):
        raise GanforgeError("the three planes' predictions must have the same length")
    num_modes = classes**3
    fake = (labels[0] * classes + labels[1]) * classes + labels[2]
    real = _labels(real_modes, num_modes, "real modes")
    h_fake = np.bincount(fake, minlength=num_modes)
    h_real = np.bincount(real, minlength=num_modes)
    p = (h_fake + smoothing) / (h_fake.sum() + smoothing * num_modes)
    q = (h_real + smoothing) / (h_real.sum() + smoothing * num_modes)
    return StackedCoverage(
        modes_covered=int((h_fake > 0).sum()),
        num_modes=num_modes,
        kl_fake_real=float(np.sum(p * np.log(p / q))),
        fake_histogram=h_fake.tolist(),
    )
