"""Frechet distance between Gaussians fitted to two feature sets (FID on Inception pool3 features).

Paper: Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash
Equilibrium" (NeurIPS), eq. (6); the distance itself is Dowson & Landau 1982:

    d^2((mu_1, Sigma_1), (mu_2, Sigma_2))
        = ||mu_1 - mu_2||^2 + Tr(Sigma_1 + Sigma_2 - 2 (Sigma_1 Sigma_2)^(1/2))

Reference implementations: https://github.com/bioinf-jku/TTUR (fid.py, `calculate_frechet_distance`)
and https://github.com/mseitzer/pytorch-fid (src/pytorch_fid/fid_score.py). Their numerics are kept
in ``frechet_distance_sqrtm``, the reference twin: float64, scipy.linalg.sqrtm of the non-symmetric
product, an eps*I offset when its square root is not finite, tiny imaginary parts (round-off on a
near-singular product) dropped, large ones an error.

The fast path, ``frechet_distance`` (the default everywhere), needs only the trace of the root.
Sigma_1 Sigma_2 is similar to the symmetric PSD matrix M = Sigma_1^(1/2) Sigma_2 Sigma_1^(1/2)
(conjugate by Sigma_1^(1/2)), and M = A^T A for A = Sigma_2^(1/2) Sigma_1^(1/2), so

    Tr (Sigma_1 Sigma_2)^(1/2) = Tr M^(1/2) = sum_i sigma_i(A)     (the nuclear norm of A)

with the symmetric square roots from ``eigh`` and the singular values from LAPACK's ``gesdd``, all
in float64: real by construction, no imaginary parts to drop, no eps offset for singular
covariances (dead ReLU units), and at D = 2048 seconds instead of the ~100 s sqrtm takes on our
2-core CPU. Summing singular values of A, not square roots of the eigenvalues of M = A^T A, keeps
the zero directions exact: sqrt(eig(M)) turns round-off of size eps ||M|| into errors of size
sqrt(eps ||M||), enough to give a set against itself -1e-6 instead of ~1e-12.
``tests/metrics/test_fid.py`` checks that fast path and twin agree to 1e-6 (relative) on well- and
ill-conditioned covariances.

Only on Inception features is this "FID"; on the Fashion-MNIST classifier it is "FD-FMNIST".
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg
import torch

from ganforge.errors import GanforgeError


def as_float64(x: np.ndarray | torch.Tensor) -> np.ndarray:
    """numpy or torch features -> float64 numpy (N, D)."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


def stats(features: np.ndarray | torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """(N, D) features -> mean (D,) and unbiased covariance (D, D), float64.

    Needs N > D: with N <= D the sample covariance has rank <= N - 1 < D, is singular, and the
    distance is dominated by which directions happen to be missing, not by the data.
    """
    f = as_float64(features)
    if f.ndim != 2:
        raise GanforgeError(f"features must be (N, D), got shape {f.shape}")
    n, d = f.shape
    if n <= d:
        raise GanforgeError(
            f"Frechet distance needs more samples than feature dimensions: got N={n}, D={d}; "
            f"use at least {d + 1} samples (10,000 or more for comparable numbers)"
        )
    if not np.isfinite(f).all():
        raise GanforgeError("features contain NaN or inf; check the generator output")
    return f.mean(axis=0), np.cov(f, rowvar=False)


def _check_stats(
    mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    mu1, mu2 = np.atleast_1d(as_float64(mu1)), np.atleast_1d(as_float64(mu2))
    sigma1, sigma2 = np.atleast_2d(as_float64(sigma1)), np.atleast_2d(as_float64(sigma2))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
        raise GanforgeError(
            f"statistics of different feature sizes: mu {mu1.shape} vs {mu2.shape}, "
            f"sigma {sigma1.shape} vs {sigma2.shape}; were they made with the same extractor?"
        )
    if sigma1.shape != (len(mu1), len(mu1)):
        raise GanforgeError(f"sigma must be (D, D) for mu (D,), got {sigma1.shape} and {mu1.shape}")
    if not all(np.isfinite(a).all() for a in (mu1, sigma1, mu2, sigma2)):
        raise GanforgeError("the statistics contain NaN or inf; check the generator output")
    return mu1, sigma1, mu2, sigma2


def psd_sqrt(a: np.ndarray, what: str) -> np.ndarray:
    """The symmetric PSD square root of a covariance, by ``eigh`` (divide and conquer, "evd").

    Round-off negatives (relative 1e-6) are clipped to 0; larger ones mean ``a`` is not a
    covariance and are an error.
    """
    a = (a + a.T) / 2  # symmetric up to round-off already; LAPACK reads one triangle
    w, v = scipy.linalg.eigh(a, driver="evd")  # a = v diag(w) v^T
    scale = max(float(np.abs(w).max()), np.finfo(np.float64).tiny)
    if w.min() < -1e-6 * scale:
        raise GanforgeError(
            f"{what} is not positive semi-definite (eigenvalue {w.min():.3g}, largest "
            f"{scale:.3g}); pass covariance matrices, e.g. from metrics.fid.stats"
        )
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray) -> float:
    """Tr (Sigma_1 Sigma_2)^(1/2) as the nuclear norm of Sigma_2^(1/2) Sigma_1^(1/2) (see top)."""
    a = psd_sqrt(sigma2, "sigma2") @ psd_sqrt(sigma1, "sigma1")  # (D, D)
    return float(scipy.linalg.svdvals(a).sum())


def frechet_distance(
    mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray
) -> float:
    """d^2 between N(mu1, sigma1) and N(mu2, sigma2): the symmetric-eigendecomposition fast path."""
    mu1, sigma1, mu2, sigma2 = _check_stats(mu1, sigma1, mu2, sigma2)
    diff = mu1 - mu2
    tr_covmean = trace_sqrt_product(sigma1, sigma2)
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * tr_covmean)


def frechet_distance_sqrtm(
    mu1: np.ndarray,
    sigma1: np.ndarray,
    mu2: np.ndarray,
    sigma2: np.ndarray,
    eps: float = 1e-6,
    max_imag: float = 1e-3,
) -> float:
    """The reference twin: pytorch-fid's computation with scipy.linalg.sqrtm (slow at D = 2048)."""
    mu1, sigma1, mu2, sigma2 = _check_stats(mu1, sigma1, mu2, sigma2)
    diff = mu1 - mu2
    with warnings.catch_warnings():
        # sqrtm warns on singular products, which ReLU features with dead units always give (their
        # rows/columns are 0, contributing exactly 0). pytorch-fid calls it with disp=False, which
        # never warns; the real failure modes are handled below (non-finite, imaginary parts).
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        covmean = scipy.linalg.sqrtm(sigma1 @ sigma2)
        if not np.isfinite(covmean).all():
            # A singular product can make the Schur-based sqrtm blow up; shifting both covariances
            # by eps*I (TTUR's fix) makes it well conditioned at an O(eps * D) cost in the result.
            offset = np.eye(sigma1.shape[0]) * eps
            covmean = scipy.linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if np.iscomplexobj(covmean):
        # Sigma1 Sigma2 is similar to a PSD matrix, so its square root is real in exact arithmetic;
        # round-off gives tiny imaginary parts. A large one means the statistics are broken.
        imag = np.max(np.abs(np.diagonal(covmean).imag))
        if imag > max_imag:
            raise GanforgeError(
                f"sqrt(Sigma1 Sigma2) has an imaginary component {imag:.3g}: the covariances are "
                "degenerate; use more samples or check for constant/duplicated features"
            )
        covmean = covmean.real
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean))


def frechet_distance_from_features(
    features1: np.ndarray | torch.Tensor, features2: np.ndarray | torch.Tensor
) -> float:
    """Convenience: fit both Gaussians, then ``frechet_distance``."""
    return frechet_distance(*stats(features1), *stats(features2))
