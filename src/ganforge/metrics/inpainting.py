"""Inpainting fidelity: PSNR in the hole, SSIM around it, and the classical baselines to beat.

Scores, per image, of a completed image against the original, given the mask (N, 1, H, W),
1 = missing:

- ``hole_mse`` / ``hole_psnr``: the MSE over the hole's pixels (all channels) only, and
  10 log10(R^2 / MSE). The whole-image PSNR of ``psnr_ssim`` rises with the known share, which
  the filling did not earn. A hole filled exactly has an infinite PSNR, which is common (a hole
  on Fashion-MNIST's black background, filled black), and one +inf makes the mean of per-image
  PSNRs +inf: a set's PSNR is therefore ``set_psnr`` of the per-image MSEs,
  10 log10(R^2 / mean MSE), finite unless every fill is exact.
- ``box_ssim``: SSIM (``psnr_ssim.ssim``: Wang et al. 2004, 11 x 11 Gaussian window, sigma 1.5)
  over the hole's bounding box, grown about its centre to at least 11 x 11 (SSIM's window; small
  holes at 32 px are smaller than that) and kept inside the image. SSIM needs neighbourhoods, so
  the box, not the hole's pixels; it still contains known pixels, identical in both images.
- ``psnr`` / ``ssim`` of the whole image, as papers report them (Liu et al. 2018;
  Yu et al. 2019).

Baselines, on uint8 images (N, C, H, W):

- ``mean_fill``: every missing pixel set to its image's per-channel mean of the known pixels
  (rounded half to even on uint8): what a model must beat to have learnt anything.
- ``cv2_inpaint``: OpenCV's ``cv2.inpaint`` (optional dependency ``opencv-python-headless``),
  radius 3: "telea", Telea 2004, "An Image Inpainting Technique Based on the Fast Marching
  Method" (J. Graphics Tools 9(1)), and "ns", Bertalmio, Bertozzi & Sapiro 2001, "Navier-Stokes,
  Fluid Dynamics, and Image and Video Inpainting" (CVPR). OpenCV fills 1- and 3-channel 8-bit
  images; the channel order does not matter (channels are filled alike). RGBA: the colour as one
  3-channel image, the alpha as a grey one, with the same method and mask.

Known pixels of every baseline's output are copied from its input, bit for bit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ganforge.errors import GanforgeError
from ganforge.metrics.psnr_ssim import WINDOW, ssim

PROTOCOL = {
    "hole_psnr": "10 log10(R^2 / mean MSE), the MSE per image over the hole's pixels and all "
    "channels, then its mean over images (per-image PSNRs may be +inf); R = 255 on uint8",
    "box_ssim": "SSIM as psnr_ssim (Wang et al. 2004, 11x11 Gaussian sigma 1.5) over the hole's "
    "bounding box grown about its centre to at least 11x11 and kept inside the image, per image, "
    "then the mean",
    "psnr": "10 log10(R^2 / mean MSE), the MSE per image over all pixels and channels",
    "ssim": "whole-image SSIM as psnr_ssim",
    "mean": "baseline: missing pixels set to the per-channel mean of the image's known pixels, "
    "rounded half to even on uint8",
    "telea": "baseline: cv2.inpaint(INPAINT_TELEA, radius 3) on uint8, grey or RGB; RGBA as RGB "
    "plus alpha apart",
    "ns": "baseline: cv2.inpaint(INPAINT_NS, radius 3) on uint8, grey or RGB; RGBA as RGB plus "
    "alpha apart",
}
EXTRA = "pip install 'ganforge[inpaint]' (or opencv-python-headless)"
RADIUS = 3.0
"""Neighbourhood radius of cv2.inpaint, in pixels (the value of OpenCV's own examples)."""


def _check(x: Tensor, y: Tensor | None, mask: Tensor) -> Tensor:
    """Shapes agree; every image has a hole. Returns the mask as bool (N, 1, H, W)."""
    if x.ndim != 4 or (y is not None and x.shape != y.shape):
        shapes = f"{tuple(x.shape)}" + ("" if y is None else f" vs {tuple(y.shape)}")
        raise GanforgeError(f"expected two (N, C, H, W) images of one shape, got {shapes}")
    n, _, h, w = x.shape
    if mask.shape != (n, 1, h, w):
        raise GanforgeError(
            f"the mask must be (N, 1, H, W) = {(n, 1, h, w)} for these images, got "
            f"{tuple(mask.shape)}"
        )
    m = mask.bool()
    if not m.flatten(1).any(dim=1).all():
        raise GanforgeError("an image has no missing pixel: its hole scores are undefined")
    return m


def _float(x: Tensor) -> Tensor:
    return x.to(
        torch.float64 if x.dtype == torch.uint8 else torch.promote_types(x.dtype, torch.float32)
    )


def hole_mse(x: Tensor, y: Tensor, mask: Tensor) -> Tensor:
    """Mean squared error over the hole's pixels and all channels, per image (N,)."""
    m = _check(x, y, mask)
    a, b = _float(x), _float(y)
    mf = m.to(a.dtype)
    n_values = mf.sum(dim=(1, 2, 3)) * x.shape[1]
    return ((a - b).pow(2) * mf).sum(dim=(1, 2, 3)) / n_values


def set_psnr(mse: Tensor, data_range: float = 255.0) -> Tensor:
    """10 log10(R^2 / mean MSE): one PSNR for a set of images from their (N,) MSEs."""
    return 10 * torch.log10(data_range**2 / mse.mean())


def hole_psnr(x: Tensor, y: Tensor, mask: Tensor, data_range: float = 255.0) -> Tensor:
    """PSNR in dB over the hole's pixels, per image (N,); a perfect fill gives +inf."""
    return 10 * torch.log10(data_range**2 / hole_mse(x, y, mask))


def hole_boxes(mask: Tensor, least: int = WINDOW) -> Tensor:
    """(N, 1, H, W) -> (N, 4) int64 (y0, x0, y1, x1): the holes' bounding boxes, each side grown
    about its centre to at least ``least`` pixels (or the image's side) and kept inside it."""
    _, _, h, w = mask.shape
    m = mask.bool()[:, 0]  # (N, H, W)

    def span(hit: Tensor, size: int) -> tuple[Tensor, Tensor]:
        idx = torch.arange(size, device=hit.device).expand_as(hit)
        lo = torch.where(hit, idx, size).amin(dim=1)
        hi = torch.where(hit, idx, -1).amax(dim=1) + 1
        need = torch.clamp(hi - lo, min=min(least, size))
        start = (lo - (need - (hi - lo)) // 2).clamp(min=0)
        start = torch.minimum(start, size - need)
        return start, start + need

    y0, y1 = span(m.any(dim=2), h)
    x0, x1 = span(m.any(dim=1), w)
    return torch.stack([y0, x0, y1, x1], dim=1)


def box_ssim(x: Tensor, y: Tensor, mask: Tensor, data_range: float = 255.0) -> Tensor:
    """SSIM over each hole's bounding box (``hole_boxes``), per image (N,)."""
    _check(x, y, mask)
    out = []
    for i, (y0, x0, y1, x1) in enumerate(hole_boxes(mask).tolist()):  # boxes differ in size
        crop = (slice(i, i + 1), slice(None), slice(y0, y1), slice(x0, x1))
        out.append(ssim(x[crop], y[crop], data_range))
    return torch.cat(out)


def inpainting_scores(
    completed: Tensor, original: Tensor, mask: Tensor, data_range: float = 255.0
) -> dict[str, Tensor]:
    """Per image (N,), completed images against the originals: hole_mse, box_ssim, mse, ssim.
    A set's scores: ``set_psnr`` of each MSE (hole_psnr, psnr), the mean of each SSIM."""
    a, b = _float(completed), _float(original)
    return {
        "hole_mse": hole_mse(completed, original, mask),
        "box_ssim": box_ssim(completed, original, mask, data_range),
        "mse": (a - b).pow(2).mean(dim=(1, 2, 3)),
        "ssim": ssim(completed, original, data_range),
    }


# --------------------------------------------------------------------------- baselines


def mean_fill(images: Tensor, mask: Tensor) -> Tensor:
    """Missing pixels <- the per-image, per-channel mean of the known ones; same dtype."""
    m = _check(images, None, mask)
    x = _float(images)
    known = (~m).to(x.dtype)  # (N, 1, H, W)
    if not known.flatten(1).any(dim=1).all():
        raise GanforgeError("an image has no known pixel: there is nothing to fill from")
    mean = (x * known).sum(dim=(2, 3), keepdim=True) / known.sum(dim=(2, 3), keepdim=True)
    if images.dtype == torch.uint8:
        mean = mean.round()
    return torch.where(m, mean.to(images.dtype), images)  # (N, C, H, W)


@functools.cache
def _cv2() -> Any:
    """OpenCV, imported on first use: an optional dependency."""
    try:
        import cv2
    except ImportError:
        raise GanforgeError(f"the cv2.inpaint baselines need OpenCV: {EXTRA}") from None
    return cv2


def cv2_inpaint(
    images: Tensor, mask: Tensor, method: str = "telea", radius: float = RADIUS
) -> Tensor:
    """OpenCV's inpainting of uint8 (N, C, H, W) images, C = 1, 3 or 4; uint8 out."""
    if method not in ("telea", "ns"):
        raise GanforgeError(f"unknown cv2.inpaint method {method!r}: use telea or ns")
    if images.dtype != torch.uint8 or images.ndim != 4 or images.shape[1] not in (1, 3, 4):
        raise GanforgeError(
            f"cv2.inpaint takes uint8 (N, C, H, W) images with C = 1, 3 or 4, got "
            f"{images.dtype} {tuple(images.shape)}"
        )
    m = _check(images, None, mask)
    cv2 = _cv2()
    flag = cv2.INPAINT_TELEA if method == "telea" else cv2.INPAINT_NS
    arr = images.cpu().numpy()
    holes = m[:, 0].cpu().numpy().astype(np.uint8) * 255  # (N, H, W): nonzero = fill
    out = np.empty_like(arr)
    for i in range(arr.shape[0]):  # OpenCV takes one image at a time
        parts = [arr[i, :3], arr[i, 3:]] if arr.shape[1] == 4 else [arr[i]]
        filled = []
        for p in parts:  # (c, H, W), c = 1 or 3
            hwc = np.ascontiguousarray(p[0] if p.shape[0] == 1 else p.transpose(1, 2, 0))
            res = cv2.inpaint(hwc, holes[i], radius, flag)
            filled.append(res[None] if res.ndim == 2 else res.transpose(2, 0, 1))
        out[i] = np.concatenate(filled, axis=0)
    return torch.where(m, torch.from_numpy(out).to(images.device), images)


BASELINES: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "mean": mean_fill,
    "telea": functools.partial(cv2_inpaint, method="telea"),
    "ns": functools.partial(cv2_inpaint, method="ns"),
}
"""Classical fills by name: uint8 (N, C, H, W) images and (N, 1, H, W) masks -> uint8 images."""
