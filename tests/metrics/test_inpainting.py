"""metrics/inpainting.py: hole PSNR and box SSIM by hand, the mean fill exactly, OpenCV's
baselines (skipped without OpenCV) and the one-line errors."""

import math

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics import inpainting
from ganforge.metrics.inpainting import (
    BASELINES,
    box_ssim,
    cv2_inpaint,
    hole_boxes,
    hole_mse,
    hole_psnr,
    inpainting_scores,
    mean_fill,
    set_psnr,
)
from ganforge.metrics.psnr_ssim import psnr, ssim


def _mask(n: int, h: int, w: int, box=(4, 6, 12, 16)) -> torch.Tensor:
    m = torch.zeros(n, 1, h, w, dtype=torch.bool)
    y0, x0, y1, x1 = box
    m[..., y0:y1, x0:x1] = True
    return m


def test_hole_psnr_counts_only_the_hole():
    x = torch.zeros(2, 3, 16, 20, dtype=torch.uint8)
    y = x.clone()
    m = _mask(2, 16, 20)
    y[0][m[0].expand(3, -1, -1)] = 10  # error 10 everywhere in the hole
    y[0, :, 0, 0] = 200  # outside the hole: ignored
    p = hole_psnr(y, x, m)
    assert math.isclose(p[0].item(), 10 * math.log10(255**2 / 100)) and math.isinf(p[1].item())
    assert torch.allclose(hole_mse(y, x, m), torch.tensor([100.0, 0.0], dtype=torch.float64))
    # A set's PSNR from the mean MSE stays finite though one image is filled exactly.
    assert math.isclose(set_psnr(hole_mse(y, x, m)).item(), 10 * math.log10(255**2 / 50))


def test_hole_boxes_grow_to_the_ssim_window_inside_the_image():
    m = torch.zeros(3, 1, 32, 40, dtype=torch.bool)
    m[0, 0, 10:12, 20:21] = True  # 2 x 1 -> 11 x 11 about its centre
    m[1, 0, 0:2, 38:40] = True  # a corner: moved inside
    m[2, 0, 5:25, 3:30] = True  # large: unchanged
    assert hole_boxes(m).tolist() == [[6, 15, 17, 26], [0, 29, 11, 40], [5, 3, 25, 30]]


def test_box_ssim_is_ssim_of_the_box():
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (2, 1, 32, 32), generator=g, dtype=torch.uint8)
    y = x.clone()
    m = _mask(2, 32, 32, (8, 8, 20, 22))
    y[m] = 128
    s = box_ssim(y, x, m)
    assert torch.allclose(s, ssim(y[..., 8:20, 8:22], x[..., 8:20, 8:22]))
    assert (s < 1).all() and torch.allclose(box_ssim(x, x, m), torch.ones(2, dtype=s.dtype))
    scores = inpainting_scores(y, x, m)
    assert set(scores) == {"hole_mse", "box_ssim", "mse", "ssim"}
    assert all(v.shape == (2,) for v in scores.values())
    assert torch.allclose(10 * torch.log10(255**2 / scores["mse"]), psnr(y, x))
    assert torch.equal(scores["ssim"], ssim(y, x)) and torch.equal(scores["box_ssim"], s)


def test_mean_fill_is_the_known_pixels_mean_per_channel():
    x = torch.zeros(1, 2, 4, 4, dtype=torch.uint8)
    x[0, 0] = torch.tensor([[10, 20, 30, 40]] * 4, dtype=torch.uint8)
    x[0, 1] = 7
    m = torch.zeros(1, 1, 4, 4, dtype=torch.bool)
    m[..., :, 3] = True  # the column of 40s is missing: known mean 20 in channel 0, 7 in 1
    out = mean_fill(x, m)
    assert out.dtype == torch.uint8
    assert (out[0, 0, :, 3] == 20).all() and (out[0, 1, :, 3] == 7).all()
    assert torch.equal(out[..., :3], x[..., :3])
    xf = x.float() / 255
    assert torch.allclose(mean_fill(xf, m)[0, 0, :, 3], torch.full((4,), 20 / 255))


def test_mean_fill_rounds_on_uint8():
    x = torch.tensor([[[[1, 2, 0]]]], dtype=torch.uint8)
    m = torch.tensor([[[[False, False, True]]]])
    assert mean_fill(x, m)[0, 0, 0, 2] == 2  # 1.5 rounds half to even


@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize("method", ["telea", "ns"])
def test_cv2_inpaint_fills_smoothly_and_keeps_known_pixels(channels, method):
    pytest.importorskip("cv2")
    # A horizontal ramp with a hole: OpenCV's fill follows the ramp, far better than the mean.
    ramp = torch.linspace(0, 250, 32).round().to(torch.uint8).view(1, 1, 1, 32)
    x = ramp.expand(2, channels, 24, 32).contiguous()
    m = _mask(2, 24, 32, (8, 22, 14, 28))  # off-centre, where the ramp is far from its mean
    out = cv2_inpaint(x, m, method)
    assert out.dtype == torch.uint8 and out.shape == x.shape
    known = (~m).expand_as(x)
    assert torch.equal(out[known], x[known])
    assert (hole_psnr(out, x, m) > hole_psnr(mean_fill(x, m), x, m) + 10).all()
    assert torch.equal(BASELINES[method](x, m), out)


def test_missing_opencv_is_one_line_naming_the_extra(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_cv2(name, *args, **kwargs):
        if name == "cv2":
            raise ImportError("No module named 'cv2'")
        return real_import(name, *args, **kwargs)

    inpainting._cv2.cache_clear()
    monkeypatch.setattr(builtins, "__import__", no_cv2)
    x, m = torch.zeros(1, 1, 8, 8, dtype=torch.uint8), _mask(1, 8, 8, (2, 2, 4, 4))
    with pytest.raises(GanforgeError, match=r"ganforge\[inpaint\]") as e:
        cv2_inpaint(x, m)
    assert "\n" not in str(e.value)
    inpainting._cv2.cache_clear()


def test_bad_inputs_are_one_line():
    x = torch.zeros(1, 3, 8, 8, dtype=torch.uint8)
    with pytest.raises(GanforgeError, match="no missing pixel"):
        hole_psnr(x, x, torch.zeros(1, 1, 8, 8))
    with pytest.raises(GanforgeError, match=r"\(N, 1, H, W\)"):
        hole_psnr(x, x, torch.ones(1, 3, 8, 8))
    with pytest.raises(GanforgeError, match="no known pixel"):
        mean_fill(x, torch.ones(1, 1, 8, 8))
    with pytest.raises(GanforgeError, match="uint8"):
        cv2_inpaint(x.float(), _mask(1, 8, 8, (2, 2, 4, 4)))
    with pytest.raises(GanforgeError, match="unknown cv2.inpaint method"):
        cv2_inpaint(x, _mask(1, 8, 8, (2, 2, 4, 4)), "fast")
