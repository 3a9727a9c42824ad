"""KID: unbiased (near 0 for equal distributions), positive for shifted ones, vs a plain loop."""

import numpy as np
import pytest

from ganforge.metrics.kid import kid, polynomial_mmd2_unbiased


def _loop_mmd2(x: np.ndarray, y: np.ndarray) -> float:
    # The estimator's definition, term by term (reference twin of the vectorised code).
    m, d = x.shape
    k = lambda a, b: (a @ b / d + 1) ** 3  # noqa: E731
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / (m * m)
    return xx + yy - 2 * xy


def test_vectorised_estimator_matches_loop():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(12, 5)), rng.normal(size=(12, 5)) + 0.3
    assert polynomial_mmd2_unbiased(x, y) == pytest.approx(_loop_mmd2(x, y), rel=1e-10)


def test_same_distribution_is_near_zero_within_a_few_std():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(2000, 16)), rng.normal(size=(2000, 16))
    mean, std = kid(a, b, num_subsets=50, subset_size=500)
    # The mean over 50 subsets has a standard error of about std / sqrt(50).
    assert abs(mean) < 4 * std / np.sqrt(50) + 1e-4


def test_shifted_distribution_is_clearly_positive():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(1000, 16)), rng.normal(size=(1000, 16)) + 0.5
    mean, std = kid(a, b, num_subsets=20, subset_size=300)
    assert mean > 0.05 and mean > 10 * std


def test_subset_size_is_clipped_to_small_sets():
    rng = np.random.default_rng(3)
    mean, _ = kid(rng.normal(size=(50, 4)), rng.normal(size=(60, 4)), num_subsets=5)
    assert np.isfinite(mean)
