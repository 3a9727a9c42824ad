"""Inpainting at any size: pad to the network's multiple, run whole or in tiles, crop, keep what
was known.

1. Pad. The sides are padded on the bottom and right to multiples of the generator's
   ``multiple`` (replicating the border, or reflecting it where the image is large enough), the
   mask with the image, so a hole that touches the border goes on into the padding.
2. Run. Whole, or, when ``tile`` is given and the padded image is larger, in tiles: the padded
   image is cut into cores of at most ``tile - 2 margin`` pixels a side, each run with a margin
   of ``margin`` = ``context`` rounded up to the multiple on every side that has image there.
   An output pixel depends on input pixels at most ``context`` away (``models/inpainting.py``),
   and every tile starts on a multiple of ``multiple``, so its stride-2 layers sample the grid the
   whole pass samples: the tiled result equals the whole pass up to float rounding
   (``tests/models/test_inpainting_tiling.py``). This needs a network without global
   operations, in eval mode, as both of ours are.
3. Crop back and copy the known pixels from the input, bit for bit (``composite``).

Peak memory is that of one tile; choosing ``tile`` from the memory at hand is the caller's job.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from ganforge.errors import GanforgeError
from ganforge.models.inpainting import composite

Inpainter = Callable[[Tensor, Tensor], Tensor]
"""``G(image, mask) -> output``: image (B, C, H, W), mask (B, 1, H, W), sides multiples."""


def round_up(size: int, multiple: int) -> int:
    """The smallest multiple of ``multiple`` that is at least ``size``."""
    return math.ceil(size / multiple) * multiple


def pad_to_multiple(x: Tensor, multiple: int, mode: str = "replicate") -> Tensor:
    """(B, C, H, W) -> (B, C, H', W') with H', W' multiples of ``multiple``, padded at the bottom
    and right; "reflect" falls back to "replicate" where a side is too short to reflect."""
    h, w = x.shape[-2:]
    ph, pw = round_up(h, multiple) - h, round_up(w, multiple) - w
    if ph == 0 and pw == 0:
        return x
    if mode == "reflect" and (ph >= h or pw >= w):
        mode = "replicate"  # reflection needs more pixels than it pads
    return F.pad(x, (0, pw, 0, ph), mode=mode)


def _spans(size: int, core: int, margin: int) -> list[tuple[int, int, int, int]]:
    """(input start, input end, core start, core end) along one padded side."""
    out = []
    for start in range(0, size, core):
        end = min(size, start + core)
        out.append((max(0, start - margin), min(size, end + margin), start, end))
    return out


def run_tiled(
    G: Inpainter, image: Tensor, mask: Tensor, multiple: int, context: int, tile: int
) -> Tensor:
    """``G`` over tiles of at most ``tile`` pixels a side; sides multiples of ``multiple``."""
    margin = round_up(context, multiple)
    core = (tile - 2 * margin) // multiple * multiple
    if core < multiple:
        raise GanforgeError(
            f"tiles of {tile} px leave no core around a margin of {margin} px (the receptive "
            f"field): use tiles of at least {2 * margin + multiple} px"
        )
    H, W = image.shape[-2:]
    out = torch.empty_like(image)
    for y0, y1, cy0, cy1 in _spans(H, core, margin):
        for x0, x1, cx0, cx1 in _spans(W, core, margin):
            part = G(image[..., y0:y1, x0:x1], mask[..., y0:y1, x0:x1])
            out[..., cy0:cy1, cx0:cx1] = part[..., cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0]
    return out


@torch.no_grad()
def inpaint_any_size(
    G: Inpainter,
    image: Tensor,
    mask: Tensor,
    multiple: int,
    context: int,
    tile: int | None = None,
    pad_mode: str = "replicate",
) -> Tensor:
    """Fill the holes of ``image`` (B, C, H, W) in [-1, 1] where ``mask`` (B, 1, H, W) is 1, at
    any H, W: padded to ``multiple``, whole (``tile`` None, or an image that fits in one tile) or
    in tiles of at most ``tile`` px with a margin >= ``context``; known pixels bit-identical."""
    m = mask.to(image.dtype)
    x = pad_to_multiple(image, multiple, pad_mode)
    mp = pad_to_multiple(m, multiple, pad_mode)
    H, W = image.shape[-2:]
    if tile is None or max(x.shape[-2:]) <= tile:
        out = G(x, mp)
    else:
        out = run_tiled(G, x, mp, multiple, context, tile)
    return composite(out[..., :H, :W], image, mask)
