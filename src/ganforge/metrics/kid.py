"""Kernel Inception Distance: unbiased MMD^2 with a cubic polynomial kernel, averaged over subsets.

Paper: Binkowski et al. 2018, "Demystifying MMD GANs" (ICLR), section 4 / appendix: with
k(x, y) = (x.y / d + 1)^3 and m samples X of the data and Y of the model,

    MMD^2_u = 1/(m(m-1)) sum_{i != j} k(x_i, x_j) + 1/(m(m-1)) sum_{i != j} k(y_i, y_j)
              - 2/m^2 sum_{i, j} k(x_i, y_j)

which is unbiased (its expectation is the population MMD^2, so it can be slightly negative).
Reference implementations: https://github.com/mbinkowski/MMD-GAN (gan/compute_scores.py,
`polynomial_mmd_averages`) and https://github.com/toshas/torch-fidelity (metric_kid.py), whose
defaults we keep: 100 subsets of 1000 drawn without replacement, mean and std over subsets.
"""

from __future__ import annotations

import numpy as np
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics.fid import as_float64


def polynomial_mmd2_unbiased(x: np.ndarray, y: np.ndarray, degree: int = 3) -> float:
    """Unbiased MMD^2 of two equal-size (m, d) samples with k(a, b) = (a.b / d + 1)^degree."""
    m, d = x.shape
    k_xx = (x @ x.T / d + 1.0) ** degree  # (m, m)
    k_yy = (y @ y.T / d + 1.0) ** degree  # (m, m)
    k_xy = (x @ y.T / d + 1.0) ** degree  # (m, m)
    # Dropping the diagonals (k(x_i, x_i)) is what removes the bias of the V-statistic.
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return float(within - 2.0 * k_xy.sum() / (m * m))


def kid(
    fake: np.ndarray | torch.Tensor,
    real: np.ndarray | torch.Tensor,
    num_subsets: int = 100,
    subset_size: int = 1000,
    seed: int = 0,
    degree: int = 3,
) -> tuple[float, float]:
    """KID mean and std over ``num_subsets`` random subsets; features (N, D) and (M, D).

    ``subset_size`` is clipped to the smaller set, so tiny sets still give a (noisier) number;
    callers that report KID record the size actually used (``effective_subset_size``).
    """
    f, r = as_float64(fake), as_float64(real)
    if f.ndim != 2 or r.ndim != 2 or f.shape[1] != r.shape[1]:
        raise GanforgeError(f"KID needs (N, D) features of equal D, got {f.shape} and {r.shape}")
    m = effective_subset_size(len(f), len(r), subset_size)
    rng = np.random.RandomState(seed)
    values = np.empty(num_subsets)
    for s in range(num_subsets):
        fi = rng.choice(len(f), m, replace=False)
        ri = rng.choice(len(r), m, replace=False)
        values[s] = polynomial_mmd2_unbiased(r[ri], f[fi], degree)
    return float(values.mean()), float(values.std())


def effective_subset_size(n_fake: int, n_real: int, subset_size: int = 1000) -> int:
    m = min(subset_size, n_fake, n_real)
    if m < 2:
        raise GanforgeError(
            f"KID needs at least 2 samples per side, got {n_fake} fake, {n_real} real"
        )
    return m
