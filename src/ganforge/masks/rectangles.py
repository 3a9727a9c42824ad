"""Random rectangular holes: Pathak, Krähenbühl, Donahue, Darrell & Efros 2016, "Context Encoders:
Feature Learning by Inpainting" (CVPR; its "random block" masks), and Iizuka, Simo-Serra &
Ishikawa 2017, "Globally and Locally Consistent Image Completion" (SIGGRAPH: one hole
per image with each side drawn in [96, 128] of 256 px; the local discriminator sees a patch
around it, hence the boxes returned beside the masks).

Here the share of missing pixels is drawn instead of the sides, so that the config says how much
is missing (``min_share``, ``max_share``) whatever the resolution: per sample,

1. a target share s ~ U(min_share, max_share) and an aspect h / w, log-uniform in
   [1 / max_aspect, max_aspect];
2. h = round(sqrt(s H W aspect)), snapped to the nearest height for which some whole width w <= W
   gives h w pixels in [ceil(min_share H W), floor(max_share H W)] (a table over the H heights,
   built once per call); w = round(s H W / h) clamped into that range. The share of the returned
   mask is then always in the band, exactly, after rounding to whole pixels;
3. the position, uniform over the places where the box fits.

All of it is vectorised over the batch on the generator's device (the training path has no loop
over samples); only the table of admissible heights is built on the host, O(H).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

from ganforge.errors import GanforgeError


def _areas(size: tuple[int, int], min_share: float, max_share: float) -> tuple[int, int]:
    """The range of hole areas (in pixels) whose share is in [min_share, max_share]."""
    h, w = size
    if not 0.0 < min_share <= max_share < 1.0:
        raise GanforgeError(
            f"mask shares must satisfy 0 < min_share <= max_share < 1, got {min_share}, {max_share}"
        )
    # round(..., 9) first: 0.1 * 4000 is 400.00000000000006 in floating point, not 401 pixels.
    lo = max(1, math.ceil(round(min_share * h * w, 9)))
    hi = math.floor(round(max_share * h * w, 9))
    return lo, hi


def _admissible_heights(size: tuple[int, int], a_lo: int, a_hi: int) -> np.ndarray:
    """nearest[h] for h in 0..H: the admissible height closest to h (ties: the smaller one), where
    a height is admissible when a whole width w <= W puts h w in [a_lo, a_hi]."""
    H, W = size
    hs = np.arange(1, H + 1)
    w_lo = -(-a_lo // hs)  # ceil(a_lo / h)
    w_hi = np.minimum(W, a_hi // hs)
    ok = hs[w_lo <= w_hi]
    if ok.size == 0:
        raise GanforgeError(
            f"no rectangle in a {H}x{W} image has {a_lo} to {a_hi} pixels: widen the share band"
        )
    want = np.arange(H + 1)
    pos = np.clip(np.searchsorted(ok, want), 1, ok.size - 1) if ok.size > 1 else np.zeros_like(want)
    below, above = ok[np.maximum(pos - 1, 0)], ok[pos]
    return np.where(np.abs(want - below) <= np.abs(above - want), below, above)


def random_rectangles(
    batch: int,
    size: tuple[int, int],
    min_share: float,
    max_share: float,
    generator: torch.Generator,
    max_aspect: float = 2.0,
) -> tuple[Tensor, Tensor]:
    """One random rectangular hole per image.

    Returns ``(mask, boxes)``: mask (batch, 1, H, W) float32, 1 = missing; boxes (batch, 4) int64
    (y0, x0, y1, x1), half-open; both on ``generator.device``, drawn from ``generator`` only.
    """
    H, W = size
    a_lo, a_hi = _areas(size, min_share, max_share)
    device = generator.device
    nearest = torch.from_numpy(_admissible_heights(size, a_lo, a_hi)).to(device)
    u = torch.rand(batch, 4, generator=generator, device=device, dtype=torch.float32)  # (B, 4)
    share = min_share + (max_share - min_share) * u[:, 0]
    aspect = torch.exp(math.log(max_aspect) * (2 * u[:, 1] - 1))  # log-uniform h / w
    area = share * (H * W)
    h = torch.sqrt(area * aspect).round().long().clamp(1, H)
    h = nearest[h]  # (B,) admissible
    w_lo = (a_lo + h - 1) // h
    w_hi = torch.clamp(a_hi // h, max=W)
    w = torch.minimum(torch.maximum((area / h).round().long(), w_lo), w_hi)
    # The top-left corner: floor(u * (number of places)), clamped as u may round up to 1.
    y0 = torch.minimum((u[:, 2] * (H - h + 1)).long(), H - h)
    x0 = torch.minimum((u[:, 3] * (W - w + 1)).long(), W - w)
    boxes = torch.stack([y0, x0, y0 + h, x0 + w], dim=1)  # (B, 4)
    rows = torch.arange(H, device=device).view(1, H, 1)
    cols = torch.arange(W, device=device).view(1, 1, W)
    inside = (
        (rows >= y0.view(-1, 1, 1))
        & (rows < (y0 + h).view(-1, 1, 1))
        & (cols >= x0.view(-1, 1, 1))
        & (cols < (x0 + w).view(-1, 1, 1))
    )  # (B, H, W)
    return inside.unsqueeze(1).float(), boxes
