"""KID: unbiased (near 0 for equal distributions), positive for shifted ones; the fast kernel
against its reference twins; torch-fidelity's subset draws and subset-size rule."""

import numpy as np
import pytest

from ganforge.errors import GanforgeError
from ganforge.metrics.kid import (
    RNG_SEED,
    kid,
    polynomial_kernel,
    polynomial_mmd2_unbiased,
    subset_size_for,
)


def _loop_mmd2(x: np.ndarray, y: np.ndarray) -> float:
    # The estimator's definition, term by term.
    m, d = x.shape
    k = lambda a, b: (a @ b / d + 1) ** 3  # noqa: E731
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / (m * m)
    return xx + yy - 2 * xy


def _pow_mmd2(x: np.ndarray, y: np.ndarray, degree: int = 3) -> float:
    # The reference twin: the first vectorised version, float64 with the generic ``** degree``.
    m, d = x.shape
    k_xx = (x @ x.T / d + 1.0) ** degree
    k_yy = (y @ y.T / d + 1.0) ** degree
    k_xy = (x @ y.T / d + 1.0) ** degree
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return float(within - 2.0 * k_xy.sum() / (m * m))


def test_vectorised_estimator_matches_loop():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(12, 5)), rng.normal(size=(12, 5)) + 0.3
    assert polynomial_mmd2_unbiased(x, y) == pytest.approx(_loop_mmd2(x, y), rel=1e-10)


@pytest.mark.parametrize("degree", [1, 2, 3, 4])
def test_fast_kernel_agrees_with_pow_twin(degree):
    rng = np.random.default_rng(degree)
    # ReLU-like features at the fmnist net's size, one side slightly shifted.
    x = np.maximum(rng.normal(size=(300, 256)), 0)
    y = np.maximum(rng.normal(size=(300, 256)) + 0.05, 0)
    a, b = x[:7], y[:5]
    assert np.allclose(polynomial_kernel(a, b, degree), (a @ b.T / 256 + 1.0) ** degree, rtol=1e-13)
    fast, twin = polynomial_mmd2_unbiased(x, y, degree), _pow_mmd2(x, y, degree)
    assert fast == pytest.approx(twin, rel=1e-9, abs=1e-15)


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


def test_subsets_follow_torch_fidelity():
    # torch-fidelity's kid_features_to_metric: RandomState(rng_seed=2020), fake subset then real
    # subset per round, mean and np.std (ddof=0) over rounds. Written out here independently.
    rng = np.random.default_rng(4)
    fake, real = rng.normal(size=(120, 8)), rng.normal(size=(150, 8)) + 0.1
    state = np.random.RandomState(2020)
    values = []
    for _ in range(10):
        f = fake[state.choice(120, 50, replace=False)]
        r = real[state.choice(150, 50, replace=False)]
        values.append(_loop_mmd2(f, r))
    mean, std = kid(fake, real, num_subsets=10, subset_size=50)
    assert RNG_SEED == 2020
    assert mean == pytest.approx(np.mean(values), rel=1e-9)
    assert std == pytest.approx(np.std(values), rel=1e-9)


def test_subset_as_large_as_a_set_is_refused():
    rng = np.random.default_rng(3)
    fake, real = rng.normal(size=(50, 4)), rng.normal(size=(60, 4))
    # torch-fidelity refuses subsets larger than a set; a subset equal to it is refused too:
    # every subset would be the whole set and the std would not measure anything.
    for size in (1000, 60, 50, 1):
        with pytest.raises(GanforgeError, match="subset size must be >= 2 and below both"):
            kid(fake, real, num_subsets=5, subset_size=size)
    mean, std = kid(fake, real, num_subsets=5, subset_size=subset_size_for(50, 60))
    assert np.isfinite(mean) and std > 0


def test_subset_size_rule():
    assert subset_size_for(10_000, 50_000) == 1000  # torch-fidelity's default
    assert subset_size_for(2000, 2000) == 1000
    assert subset_size_for(1999, 10_000) == 999
    assert subset_size_for(300, 300) == 150
    with pytest.raises(GanforgeError, match="at least 4 samples"):
        subset_size_for(3, 100)
