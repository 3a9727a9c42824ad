"""Frechet distance against an independent sqrtm computation and Gaussian closed forms; the eigh
fast path against its sqrtm reference twin."""

import numpy as np
import pytest
import scipy.linalg
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics.fid import (
    frechet_distance,
    frechet_distance_from_features,
    frechet_distance_sqrtm,
    stats,
)


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


@pytest.mark.parametrize("fd", [frechet_distance, frechet_distance_sqrtm])
def test_closed_form_for_diagonal_gaussians(fd):
    # Commuting (diagonal) covariances: Tr(sqrt(S1 S2)) = sum sqrt(s1_i s2_i), so
    # d^2 = |mu1 - mu2|^2 + sum (sqrt(s1_i) - sqrt(s2_i))^2.
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    s1, s2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 0.25])
    want = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(s1) - np.sqrt(s2)) ** 2)
    got = fd(mu1, np.diag(s1), mu2, np.diag(s2))
    assert got == pytest.approx(want, rel=1e-10)


@pytest.mark.parametrize("fd", [frechet_distance, frechet_distance_sqrtm])
def test_closed_form_for_commuting_rotated_covariances(fd):
    # Same eigenvectors (a shared rotation) still commute; the closed form holds in the eigenbasis.
    q, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(4, 4)))
    e1, e2 = np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 2.0, 1.0, 0.5])
    got = fd(np.zeros(4), q @ np.diag(e1) @ q.T, np.zeros(4), q @ np.diag(e2) @ q.T)
    assert got == pytest.approx(np.sum((np.sqrt(e1) - np.sqrt(e2)) ** 2), rel=1e-8)


def test_closed_form_for_non_commuting_2d_gaussians():
    # For 2x2 SPD A, B: Tr sqrt(AB) = sqrt(Tr(AB) + 2 sqrt(det(AB))) (the eigenvalues l1, l2 of
    # AB are positive and (sqrt l1 + sqrt l2)^2 = l1 + l2 + 2 sqrt(l1 l2)).
    a = np.array([[2.0, 0.7], [0.7, 1.0]])
    b = np.array([[1.0, -0.4], [-0.4, 3.0]])
    ab = a @ b
    tr_root = np.sqrt(np.trace(ab) + 2 * np.sqrt(np.linalg.det(ab)))
    mu1, mu2 = np.array([0.5, -1.0]), np.array([0.0, 2.0])
    want = np.sum((mu1 - mu2) ** 2) + np.trace(a) + np.trace(b) - 2 * tr_root
    assert frechet_distance(mu1, a, mu2, b) == pytest.approx(want, rel=1e-12)


def _covariances(kind: str, d: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if kind == "well":  # sample covariances of correlated Gaussians, N >> D
        a = rng.normal(size=(4 * d, d)) @ rng.normal(size=(d, d))
        b = rng.normal(size=(4 * d, d)) @ rng.normal(size=(d, d)) * 0.8
        return np.cov(a.T), np.cov(b.T)
    if kind == "ill":  # full rank, condition number 1e12, eigenbases not shared
        q1, _ = np.linalg.qr(rng.normal(size=(d, d)))
        q2, _ = np.linalg.qr(rng.normal(size=(d, d)))
        e = np.logspace(0, -12, d)
        return q1 @ np.diag(e) @ q1.T, q2 @ np.diag(e[::-1] ** 0.5) @ q2.T
    # "singular": ReLU features with dead units (exact zero rows/columns) and N barely above D
    a = np.maximum(rng.normal(size=(d + 20, d)) @ rng.normal(size=(d, d)), 0)
    b = np.maximum(rng.normal(size=(d + 20, d)) @ rng.normal(size=(d, d)) + 0.3, 0)
    a[:, : d // 8] = 0
    b[:, : d // 8] = 0
    return np.cov(a.T), np.cov(b.T)


@pytest.mark.parametrize("kind", ["well", "ill", "singular"])
@pytest.mark.parametrize("d", [16, 256])
def test_fast_path_agrees_with_sqrtm_twin(kind, d):
    rng = np.random.default_rng(d)
    s1, s2 = _covariances(kind, d, rng)
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    fast = frechet_distance(mu1, s1, mu2, s2)
    twin = frechet_distance_sqrtm(mu1, s1, mu2, s2)
    assert abs(fast - twin) / abs(twin) < 1e-6
    # The covariance term alone (equal means), where any error would not be diluted by |mu|^2.
    z = np.zeros(d)
    fast0, twin0 = frechet_distance(z, s1, z, s2), frechet_distance_sqrtm(z, s1, z, s2)
    assert abs(fast0 - twin0) / abs(twin0) < 1e-6


def test_not_a_covariance_and_non_finite_are_clear_errors():
    with pytest.raises(GanforgeError, match="not positive semi-definite"):
        frechet_distance(np.zeros(2), np.diag([1.0, -1.0]), np.zeros(2), np.eye(2))
    with pytest.raises(GanforgeError, match="NaN or inf"):
        frechet_distance(np.zeros(2), np.diag([1.0, np.nan]), np.zeros(2), np.eye(2))


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


def test_singular_set_against_itself_is_zero_to_round_off():
    # Dead units and N barely above D: sqrt(eig(A^T A)) would leave ~1e-6 here; the singular
    # values of A keep the zero directions exact.
    s, _ = _covariances("singular", 256, np.random.default_rng(5))
    mu = np.ones(256)
    assert abs(frechet_distance(mu, s, mu, s)) < 1e-10 * np.trace(s)
