"""Frechet distance against an independent sqrtm computation and Gaussian closed forms."""

import numpy as np
import pytest
import scipy.linalg
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics.fid import frechet_distance, frechet_distance_from_features, stats


def _independent_fd(a: np.ndarray, b: np.ndarray) -> float:
    # Written from the definition, sharing nothing with fid.py but scipy's sqrtm.
    mu_a, mu_b = a.mean(0), b.mean(0)
    ca, cb = np.cov(a.T), np.cov(b.T)
    root = scipy.linalg.sqrtm(ca.dot(cb)).real
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(ca) + np.trace(cb) - 2 * np.trace(root))


def test_matches_independent_sqrtm_computation():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(500, 16)) @ rng.normal(size=(16, 16))
    b = rng.normal(size=(400, 16)) @ rng.normal(size=(16, 16)) + 0.5
    got = frechet_distance_from_features(a, b)
    want = _independent_fd(a, b)
    assert abs(got - want) / abs(want) < 1e-6


def test_closed_form_for_diagonal_gaussians():
    # Commuting (diagonal) covariances: Tr(sqrt(S1 S2)) = sum sqrt(s1_i s2_i), so
    # d^2 = |mu1 - mu2|^2 + sum (sqrt(s1_i) - sqrt(s2_i))^2.
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    s1, s2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 0.25])
    want = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(s1) - np.sqrt(s2)) ** 2)
    got = frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2))
    assert got == pytest.approx(want, rel=1e-10)


def test_closed_form_for_commuting_rotated_covariances():
    # Same eigenvectors (a shared rotation) still commute; the closed form holds in the eigenbasis.
    q, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(4, 4)))
    e1, e2 = np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 2.0, 1.0, 0.5])
    got = frechet_distance(np.zeros(4), q @ np.diag(e1) @ q.T, np.zeros(4), q @ np.diag(e2) @ q.T)
    assert got == pytest.approx(np.sum((np.sqrt(e1) - np.sqrt(e2)) ** 2), rel=1e-8)


def test_set_with_itself_is_zero_and_accepts_torch():
    x = torch.randn(300, 8, dtype=torch.float64)
    assert abs(frechet_distance_from_features(x, x)) < 1e-8


def test_singular_covariance_stays_finite():
    # Rank-deficient (last feature constant): still finite, close to the mean term.
    rng = np.random.default_rng(2)
    a = np.c_[rng.normal(size=(200, 3)), np.zeros(200)]
    b = np.c_[rng.normal(size=(200, 3)) + 1.0, np.zeros(200)]
    d = frechet_distance_from_features(a, b)
    assert np.isfinite(d) and d == pytest.approx(4.0, abs=1.0)


def test_fewer_samples_than_dimensions_is_a_clear_error():
    with pytest.raises(GanforgeError, match="more samples than feature dimensions"):
        stats(np.zeros((10, 64)))


def test_mismatched_dimensions_are_a_clear_error():
    with pytest.raises(GanforgeError, match="same extractor"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))
