"""PSNR, SSIM and MAE against hand values and an independent SSIM written as scikit-image
computes it (gaussian_weights=True, sigma=1.5, use_sample_covariance=False)."""

import math

import numpy as np
import pytest
import torch
from scipy.ndimage import gaussian_filter

from ganforge.errors import GanforgeError
from ganforge.metrics.psnr_ssim import gaussian_window, mae, psnr, ssim


def skimage_ssim(x: np.ndarray, y: np.ndarray, data_range: float = 255.0) -> float:
    """skimage.metrics.structural_similarity for one grey image, Wang et al.'s settings:
    Gaussian filter (sigma 1.5, truncate 3.5 -> 11 taps, reflect mode), population covariance,
    mean over the image cropped by the window radius."""
    x, y = x.astype(np.float64), y.astype(np.float64)
    f = lambda t: gaussian_filter(t, sigma=1.5, truncate=3.5)  # noqa: E731
    ux, uy = f(x), f(y)
    vx, vy, vxy = f(x * x) - ux * ux, f(y * y) - uy * uy, f(x * y) - ux * uy
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux**2 + uy**2 + c1) * (vx + vy + c2))
    return float(s[5:-5, 5:-5].mean())


def test_psnr_and_mae_by_hand():
    x = torch.zeros(2, 1, 4, 4, dtype=torch.uint8)
    y = torch.full_like(x, 10)
    y[1] = 0
    p = psnr(x, y)
    assert math.isclose(p[0].item(), 10 * math.log10(255**2 / 100)) and math.isinf(p[1].item())
    assert torch.allclose(mae(x, y), torch.tensor([10 / 255, 0.0], dtype=torch.float64))
    assert math.isclose(psnr(x, y, crop=1)[0].item(), p[0].item())


def test_gaussian_window_is_normalised_and_symmetric():
    g = gaussian_window()
    assert len(g) == 11 and math.isclose(g.sum().item(), 1.0) and torch.allclose(g, g.flip(0))


def test_ssim_of_constant_images_by_hand():
    a, b = 100, 120
    x = torch.full((1, 1, 16, 16), a, dtype=torch.uint8)
    y = torch.full((1, 1, 16, 16), b, dtype=torch.uint8)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    want = (2 * a * b + c1) * c2 / ((a * a + b * b + c1) * c2)  # no variance, no covariance
    assert math.isclose(ssim(x, y).item(), want, rel_tol=1e-12)
    assert math.isclose(ssim(x, x).item(), 1.0)


@pytest.mark.parametrize("channels", [1, 3])
def test_ssim_matches_the_scikit_image_formula(channels):
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (2, channels, 24, 31), generator=g, dtype=torch.uint8)
    noise = torch.randint(-40, 41, x.shape, generator=g)
    y = (x.int() + noise).clamp(0, 255).to(torch.uint8)
    ours = ssim(x, y)
    for i in range(2):
        ref = np.mean([skimage_ssim(x[i, c].numpy(), y[i, c].numpy()) for c in range(channels)])
        assert math.isclose(ours[i].item(), ref, rel_tol=1e-9, abs_tol=1e-12)


def test_shape_errors():
    with pytest.raises(GanforgeError, match="at least 11x11"):
        ssim(torch.zeros(1, 1, 8, 8), torch.zeros(1, 1, 8, 8))
    with pytest.raises(GanforgeError, match="differ in shape"):
        psnr(torch.zeros(1, 1, 8, 8), torch.zeros(1, 1, 8, 9))


def test_y_channel_psnr_with_border_crop_by_hand():
    from ganforge.metrics.psnr_ssim import rgb_to_y

    # Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255: white 235, black 16 (studio range)
    white = torch.full((1, 3, 1, 1), 255, dtype=torch.uint8)
    assert math.isclose(rgb_to_y(white).item(), 235.0, rel_tol=1e-12)
    assert math.isclose(rgb_to_y(torch.zeros_like(white)).item(), 16.0)
    pixel = torch.tensor([200, 100, 50], dtype=torch.uint8).view(1, 3, 1, 1)
    assert math.isclose(
        rgb_to_y(pixel).item(), 16 + (65.481 * 200 + 128.553 * 100 + 24.966 * 50) / 255
    )
    # 6x6 images, scale 2: only the inner 2x2 counts, where one pixel differs by (10, 0, 0) in RGB.
    x = torch.zeros(1, 3, 6, 6, dtype=torch.uint8)
    y = x.clone()
    y[0, 0, 2, 2] = 10  # inside the crop
    y[0, :, 0, 0] = 255  # in the border: ignored
    dy = 65.481 * 10 / 255  # the Y difference of that pixel
    want = 10 * math.log10(255**2 / (dy**2 / 4))
    got = psnr(rgb_to_y(x), rgb_to_y(y), crop=2).item()
    assert math.isclose(got, want, rel_tol=1e-12)
    assert math.isclose(psnr(x, y, crop=2).item(), 10 * math.log10(255**2 / (100 / 12)))  # RGB
    with pytest.raises(GanforgeError, match="needs .N, 3, H, W. RGB"):
        rgb_to_y(torch.zeros(1, 1, 4, 4))
