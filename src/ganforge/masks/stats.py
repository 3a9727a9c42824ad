"""What a batch of masks holds: the share of missing pixels and the hole's bounding box.

Masks throughout ganforge are (B, 1, H, W) tensors, 1 (or True) where a pixel is missing. The share
is the statistic the mask samplers are steered by (``min_share``/``max_share``) and the one the
tasks log; the bounding box is what the local discriminator of Iizuka et al. 2017 crops around.
"""

from __future__ import annotations

import torch
from torch import Tensor


def missing_share(mask: Tensor) -> Tensor:
    """(B, 1, H, W) mask -> (B,) float32 share of its pixels that are missing, in [0, 1]."""
    return mask.flatten(1).float().mean(dim=1)


def bounding_boxes(mask: Tensor) -> Tensor:
    """(B, 1, H, W) mask -> (B, 4) int64 boxes (y0, x0, y1, x1), half-open, around the missing
    pixels; an empty mask gives the empty box (0, 0, 0, 0). Vectorised: no loop over samples."""
    b, _, h, w = mask.shape
    m = mask.reshape(b, h, w).bool()
    rows, cols = m.any(dim=2), m.any(dim=1)  # (B, H), (B, W)

    def span(hit: Tensor) -> tuple[Tensor, Tensor]:
        n = hit.shape[1]
        idx = torch.arange(n, device=hit.device).expand_as(hit)
        first = torch.where(hit, idx, n).amin(dim=1)
        last = torch.where(hit, idx, -1).amax(dim=1) + 1
        empty = ~hit.any(dim=1)
        return first.masked_fill(empty, 0), last.masked_fill(empty, 0)

    y0, y1 = span(rows)
    x0, x1 = span(cols)
    return torch.stack([y0, x0, y1, x1], dim=1).long()
