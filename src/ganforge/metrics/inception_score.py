"""Inception Score, exp(E_x KL(p(y|x) || p(y))), from classifier logits.

Paper: Salimans et al. 2016, "Improved Techniques for Training GANs" (NeurIPS), section 4.
Reference implementations: https://github.com/openai/improved-gan (inception_score/model.py: 10
splits, mean and std of the per-split scores) and https://github.com/toshas/torch-fidelity
(metric_isc.py: samples shuffled by ``np.random.RandomState(2020).permutation`` before splitting,
2020 being its default ``rng_seed``; float64 softmax; split i is rows [i N / s, (i + 1) N / s); std
with ddof=0), which we follow, seed included, so equal logits give torch-fidelity's numbers. With
Inception it is fed torch-fidelity's "logits_unbiased" (no fc bias).

With the Fashion-MNIST classifier the same number is reported as "classifier score": its maximum is
the number of classes (10), reached by confident predictions spread evenly over all classes.
"""

from __future__ import annotations

import numpy as np
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics.fid import as_float64

RNG_SEED = 2020  # torch-fidelity's default rng_seed: the split shuffle


def inception_score(
    logits: np.ndarray | torch.Tensor, splits: int = 10, shuffle: bool = True, seed: int = RNG_SEED
) -> tuple[float, float]:
    """(N, K) logits -> (mean, std) of the score over ``splits`` disjoint splits."""
    z = torch.from_numpy(as_float64(logits))
    if z.ndim != 2:
        raise GanforgeError(f"logits must be (N, K), got shape {tuple(z.shape)}")
    n = z.shape[0]
    if n < splits:
        raise GanforgeError(
            f"Inception Score with {splits} splits needs >= {splits} samples, got {n}"
        )
    if shuffle:
        # A fixed permutation: generators often emit samples in class order, biasing the splits.
        z = z[np.random.RandomState(seed).permutation(n)]
    log_p = z.log_softmax(dim=1)  # (N, K) log p(y|x)
    scores = []
    for i in range(splits):
        chunk = log_p[i * n // splits : (i + 1) * n // splits]
        log_marginal = chunk.exp().mean(dim=0).log()  # (K,) log p(y) within the split
        kl = (chunk.exp() * (chunk - log_marginal)).sum(dim=1)  # (n_i,) KL(p(y|x) || p(y))
        scores.append(float(kl.mean().exp()))
    return float(np.mean(scores)), float(np.std(scores))
