"""Improved precision and recall: how much of each distribution lies on the other's k-NN manifold.

Paper: Kynkaanniemi et al. 2019, "Improved Precision and Recall Metric for Assessing Generative
Models" (NeurIPS). The manifold of a feature set Phi is the union of balls B(phi, NND_k(phi)), where
NND_k is the distance to the k-th nearest other member (k = 3). Then

    precision = 1/|Phi_g| sum_{phi_g} f(phi_g, Phi_r)
    recall    = 1/|Phi_r| sum_{phi_r} f(phi_r, Phi_g)

with f(phi, Phi) = 1 if ||phi - phi'|| <= NND_k(phi') for some phi' in Phi. Precision is the share
of fakes that look real (fidelity), recall the share of reals the model can produce (diversity).
Reference implementations: https://github.com/kynkaat/improved-precision-and-recall-metric
(precision_recall.py, `ManifoldEstimator`, batched distances) and
https://github.com/NVlabs/stylegan2-ada-pytorch (metrics/precision_recall.py, `<=` on radii).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from ganforge.errors import GanforgeError
from ganforge.metrics.knn import DEFAULT_BLOCK, as_rows, distance_tiles, kth_neighbour_distance


def manifold_coverage(
    probes: np.ndarray | Tensor,
    manifold: np.ndarray | Tensor,
    k: int = 3,
    block: int = DEFAULT_BLOCK,
) -> float:
    """Share of ``probes`` inside the k-NN ball manifold of ``manifold`` (the f above, averaged)."""
    p, m = as_rows(probes), as_rows(manifold)
    if p.shape[1] != m.shape[1]:
        raise GanforgeError(f"feature sizes differ: {p.shape[1]} vs {m.shape[1]}")
    if m.shape[0] <= k:
        raise GanforgeError(f"precision/recall with k={k} needs more than {k} samples per set")
    radii = kth_neighbour_distance(m, k, block)  # (M,)
    inside = torch.zeros(p.shape[0], dtype=torch.bool)
    for i, j, d in distance_tiles(p, m, block):  # d: (bp, bm)
        rows = slice(i, i + d.shape[0])
        inside[rows] |= (d <= radii[j : j + d.shape[1]]).any(dim=1)
    return float(inside.double().mean())


def precision_recall(
    fake: np.ndarray | Tensor, real: np.ndarray | Tensor, k: int = 3, block: int = DEFAULT_BLOCK
) -> tuple[float, float]:
    """(precision, recall) of fake features (N, D) against real features (M, D)."""
    return manifold_coverage(fake, real, k, block), manifold_coverage(real, fake, k, block)
