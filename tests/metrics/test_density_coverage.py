"""Density/coverage on constructed point sets with known answers."""

import numpy as np
import pytest

from ganforge.metrics.density_coverage import density_coverage


def clusters(n_clusters: int, per: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = 100.0 * np.stack([np.arange(n_clusters), np.zeros(n_clusters)], 1)
    return np.concatenate([c + rng.normal(size=(per, 2)) for c in centres])


def test_identical_sets_cover_everything():
    x = clusters(4, 50)
    density, coverage = density_coverage(x, x)
    assert coverage == 1.0 and density > 0.5


def test_far_apart_sets_give_zero():
    x = clusters(4, 50)
    assert density_coverage(x + 1e4, x) == (0.0, 0.0)


def test_half_of_the_clusters_covers_half():
    real = clusters(10, 40)
    _, coverage = density_coverage(real[: 5 * 40], real)
    assert coverage == pytest.approx(0.5)


def test_same_distribution_has_density_near_one():
    # Naeem et al. 2020: E[density] = 1 when fakes and reals share a distribution.
    rng = np.random.default_rng(0)
    density, coverage = density_coverage(rng.normal(size=(2000, 4)), rng.normal(size=(2000, 4)))
    assert density == pytest.approx(1.0, abs=0.1) and coverage > 0.9


def test_block_size_does_not_change_the_answer():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(150, 3)), rng.normal(size=(120, 3)) + 0.3
    assert density_coverage(a, b, block=11) == density_coverage(a, b, block=4096)
