"""Density and coverage: precision/recall variants that are robust to outliers in the real set.

Paper: Naeem et al. 2020, "Reliable Fidelity and Diversity Metrics for Generative Models" (ICML),
eqs. (3) and (4), with k = 5, real samples X_1..X_N, fakes Y_1..Y_M and NND_k(X_i) the distance from
X_i to its k-th nearest other real:

    density  = 1/(kM) sum_j sum_i 1[Y_j in B(X_i, NND_k(X_i))]
    coverage = 1/N    sum_i 1[exists j: Y_j in B(X_i, NND_k(X_i))]

Density counts how many real balls each fake falls in (about 1 for matching distributions, can
exceed 1); coverage asks which real neighbourhoods received at least one fake. Only real balls are
used, so a lone fake outlier cannot inflate either number.
Reference implementation: https://github.com/clovaai/generative-evaluation-prdc (prdc/prdc.py,
`compute_prdc`), including its strict `<` against the radii.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from ganforge.errors import GanforgeError
from ganforge.metrics.knn import DEFAULT_BLOCK, as_rows, distance_tiles, kth_neighbour_distance


def density_coverage(
    fake: np.ndarray | Tensor, real: np.ndarray | Tensor, k: int = 5, block: int = DEFAULT_BLOCK
) -> tuple[float, float]:
    """(density, coverage) of fake features (M, D) against real features (N, D)."""
    x, y = as_rows(real), as_rows(fake)
    if x.shape[1] != y.shape[1]:
        raise GanforgeError(f"feature sizes differ: real {x.shape[1]} vs fake {y.shape[1]}")
    if x.shape[0] <= k:
        raise GanforgeError(f"density/coverage with k={k} needs more than {k} real samples")
    radii = kth_neighbour_distance(x, k, block)  # (N,)
    balls_per_fake = torch.zeros(y.shape[0], dtype=torch.float64)  # sum_i 1[Y_j in B_i]
    nearest_fake = torch.full((x.shape[0],), float("inf"), dtype=torch.float64)  # min_j d(X_i, Y_j)
    for i, j, d in distance_tiles(x, y, block):  # d: (bx, by) real x fake
        r = radii[i : i + d.shape[0], None]
        balls_per_fake[j : j + d.shape[1]] += (d < r).sum(dim=0)
        rows = slice(i, i + d.shape[0])
        nearest_fake[rows] = torch.minimum(nearest_fake[rows], d.min(dim=1).values)
    density = float(balls_per_fake.sum()) / (k * y.shape[0])
    coverage = float((nearest_fake < radii).double().mean())
    return density, coverage
