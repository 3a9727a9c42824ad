"""Frechet distance between Gaussians fitted to two feature sets (FID on Inception pool3 features).

Paper: Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash
Equilibrium" (NeurIPS), eq. (6); the distance itself is Dowson & Landau 1982:

    d^2((mu_1, Sigma_1), (mu_2, Sigma_2))
        = ||mu_1 - mu_2||^2 + Tr(Sigma_1 + Sigma_2 - 2 (Sigma_1 Sigma_2)^(1/2))

Reference implementations: https://github.com/bioinf-jku/TTUR (fid.py, `calculate_frechet_distance`)
and https://github.com/mseitzer/pytorch-fid (src/pytorch_fid/fid_score.py), whose numerics we keep:
float64, scipy.linalg.sqrtm, an eps*I offset when the product's square root is not finite, and
tiny imaginary parts (from round-off on a near-singular product) dropped, large ones an error.

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


def frechet_distance(
    mu1: np.ndarray,
    sigma1: np.ndarray,
    mu2: np.ndarray,
    sigma2: np.ndarray,
    eps: float = 1e-6,
    max_imag: float = 1e-3,
) -> float:
    """d^2 between N(mu1, sigma1) and N(mu2, sigma2), computed in float64."""
    mu1, mu2 = np.atleast_1d(as_float64(mu1)), np.atleast_1d(as_float64(mu2))
    sigma1, sigma2 = np.atleast_2d(as_float64(sigma1)), np.atleast_2d(as_float64(sigma2))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
        raise GanforgeError(
            f"statistics of different feature sizes: mu {mu1.shape} vs {mu2.shape}, "
            f"sigma {sigma1.shape} vs {sigma2.shape}; were they made with the same extractor?"
        )
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
