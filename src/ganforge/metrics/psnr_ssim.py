"""Full-reference fidelity of paired outputs: PSNR, SSIM and the mean absolute error.

- PSNR = 10 log10(R^2 / MSE), per image, R the data range (255 for uint8).
- SSIM: Wang, Bovik, Sheikh & Simoncelli 2004, "Image Quality Assessment: From Error Visibility to
  Structural Similarity" (IEEE TIP 13(4)), eq. 13 with the paper's settings: an 11 x 11 circular-
  symmetric Gaussian window with sigma 1.5 (normalised to sum 1), K1 = 0.01, K2 = 0.03, C_i =
  (K_i R)^2, local statistics with population (1/N) variances, and the mean over the positions where
  the window lies fully inside the image ("valid"), as in the authors' ssim_index.m. This equals
  scikit-image's ``structural_similarity(gaussian_weights=True, sigma=1.5,
  use_sample_covariance=False, data_range=R)``, whose reflect-padded filter is cropped by the window
  radius before averaging; ``tests/metrics/test_psnr_ssim.py`` checks the two against each other.
  Colour images: the mean of the per-channel SSIMs (scikit-image's ``channel_axis``).
- MAE: mean |x - y| / R, in [0, 1]; CycleGAN's cycle reconstruction error is the MAE of F(G(x))
  against x.

``crop`` drops that many border pixels first (super-resolution papers crop ``scale`` pixels).
Super-resolution papers also score colour images on their luma only: ``rgb_to_y`` gives the
ITU-R BT.601 Y of 8-bit RGB as MATLAB's ``rgb2ycbcr`` does (studio range 16-235, not rounded),
the convention of SRGAN's and most later SR tables (e.g. BasicSR's ``calculate_psnr(...,
test_y_channel=True)``); PSNR and SSIM of Y keep R = 255. All functions take (N, C, H, W) uint8 or
float tensors and return per-image values (N,) in float64 for uint8 input (evaluation), in the
input's float type otherwise (cheap logging during training).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ganforge.errors import GanforgeError

WINDOW, SIGMA, K1, K2 = 11, 1.5, 0.01, 0.03
PROTOCOL = {
    "psnr": "10 log10(R^2 / MSE) per image over all channels, then the mean; R = 255 on uint8",
    "ssim": "Wang et al. 2004: 11x11 Gaussian window sigma 1.5, K1 0.01, K2 0.03, population "
    "variances, mean over valid positions and channels, then over images; R = 255 on uint8",
    "mae": "mean |x - y| / 255 per image, then the mean",
    "y": "ITU-R BT.601 luma of 8-bit RGB, Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255 "
    "(MATLAB rgb2ycbcr, unrounded), scored with R = 255",
}
BT601_Y = (65.481, 128.553, 24.966)
"""Weights of R, G, B (each in [0, 255]) in 255 * (Y - 16), ITU-R BT.601."""


def rgb_to_y(x: Tensor) -> Tensor:
    """(N, 3, H, W) RGB in [0, 255] (uint8 or float) -> (N, 1, H, W) float64 BT.601 luma Y."""
    if x.ndim != 4 or x.shape[1] != 3:
        raise GanforgeError(f"the Y channel needs (N, 3, H, W) RGB images, got {tuple(x.shape)}")
    w = torch.tensor(BT601_Y, dtype=torch.float64, device=x.device).view(1, 3, 1, 1)
    return 16.0 + (x.to(torch.float64) * w).sum(dim=1, keepdim=True) / 255.0


def _prepare(x: Tensor, y: Tensor, crop: int) -> tuple[Tensor, Tensor]:
    if x.shape != y.shape:
        raise GanforgeError(
            f"images to compare differ in shape: {tuple(x.shape)} vs {tuple(y.shape)}"
        )
    if x.ndim != 4:
        raise GanforgeError(f"expected (N, C, H, W) images, got shape {tuple(x.shape)}")
    dtype = torch.float64 if x.dtype == torch.uint8 else torch.promote_types(x.dtype, torch.float32)
    if crop > 0:
        x, y = x[..., crop:-crop, crop:-crop], y[..., crop:-crop, crop:-crop]
    return x.to(dtype), y.to(dtype)


def psnr(x: Tensor, y: Tensor, data_range: float = 255.0, crop: int = 0) -> Tensor:
    """Peak signal-to-noise ratio in dB per image; identical images give +inf."""
    x, y = _prepare(x, y, crop)
    mse = (x - y).pow(2).mean(dim=(1, 2, 3))
    return 10 * torch.log10(data_range**2 / mse)


def mae(x: Tensor, y: Tensor, data_range: float = 255.0, crop: int = 0) -> Tensor:
    """Mean absolute error per image as a fraction of the data range."""
    x, y = _prepare(x, y, crop)
    return (x - y).abs().mean(dim=(1, 2, 3)) / data_range


def gaussian_window(size: int = WINDOW, sigma: float = SIGMA, dtype=torch.float64) -> Tensor:
    """The normalised 1-D Gaussian; its outer product with itself is the 2-D SSIM window."""
    r = torch.arange(size, dtype=dtype) - (size - 1) / 2
    g = torch.exp(-(r**2) / (2 * sigma**2))
    return g / g.sum()


def ssim(x: Tensor, y: Tensor, data_range: float = 255.0, crop: int = 0) -> Tensor:
    """Mean structural similarity per image (Wang et al. 2004, eq. 13)."""
    x, y = _prepare(x, y, crop)
    n, c, h, w = x.shape
    if min(h, w) < WINDOW:
        raise GanforgeError(f"SSIM needs images of at least {WINDOW}x{WINDOW}, got {h}x{w}")
    g = gaussian_window(dtype=x.dtype).to(x.device)

    def blur(t: Tensor) -> Tensor:
        # Separable valid filtering, every channel on its own: (N*C, 1, H, W) -> (N*C, 1, H-10, W-10)
        t = F.conv2d(t, g.view(1, 1, -1, 1))
        return F.conv2d(t, g.view(1, 1, 1, -1))

    a, b = x.reshape(n * c, 1, h, w), y.reshape(n * c, 1, h, w)
    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2
    var_b = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    c1, c2 = (K1 * data_range) ** 2, (K2 * data_range) ** 2
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / (
        (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    )
    return s.reshape(n, c, -1).mean(dim=(1, 2))
