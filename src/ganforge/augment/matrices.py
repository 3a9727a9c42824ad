"""Batched homogeneous matrices for the ADA pipeline: 2-D (3x3) for geometry, 3-D (4x4) for colour.

Karras et al. 2020, "Training Generative Adversarial Networks with Limited Data" (arXiv 2006.06676),
appendix B: every geometric transform of a sample is folded into one 3x3 matrix and every colour
transform into one 4x4 matrix, so the image is resampled once and recoloured once. The helpers
follow ``matrix``/``translate2d``/``rotate3d`` in NVlabs/stylegan2-ada-pytorch, training/augment.py.

Each helper takes per-sample parameters of shape (B,) and returns (B, 3, 3) or (B, 4, 4) in the
parameters' dtype and device. 2-D matrices act on pixel coordinates (x right, y down, origin at
the image centre).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def _stack(rows: list[list[Tensor | float]], like: Tensor) -> Tensor:
    """Build (B, R, K) from a nested list of (B,) tensors and Python numbers."""
    cols = [
        (v if isinstance(v, Tensor) else torch.full_like(like, float(v)))
        for row in rows
        for v in row
    ]
    return torch.stack(cols, dim=-1).reshape(like.shape[0], len(rows), len(rows[0]))


def translate2d(tx: Tensor, ty: Tensor) -> Tensor:
    """(B, 3, 3): move content by (tx, ty) pixels."""
    return _stack([[1, 0, tx], [0, 1, ty], [0, 0, 1]], tx)


def scale2d(sx: Tensor, sy: Tensor) -> Tensor:
    """(B, 3, 3): scale about the image centre."""
    return _stack([[sx, 0, 0], [0, sy, 0], [0, 0, 1]], sx)


def rotate2d(theta: Tensor) -> Tensor:
    """(B, 3, 3): rotate by ``theta`` radians (y points down: positive is clockwise on screen)."""
    c, s = torch.cos(theta), torch.sin(theta)
    return _stack([[c, -s, 0], [s, c, 0], [0, 0, 1]], theta)


def rotate90_2d(k: Tensor) -> Tensor:
    """(B, 3, 3): ``rotate2d(k * pi / 2)`` for integer-valued ``k``, with exact 0/+-1 entries.

    cos(pi / 2) is -4.4e-8 in float32, not 0; exact entries keep a quarter turn on the pixel grid
    (up to the grid's own float32 rounding) and make "no turn" exactly the identity. As the inverse
    map of ``warp_affine`` it reproduces ``torch.rot90(x, k, dims=(-2, -1))`` on square images.
    """
    k = k.round().remainder(4)
    # Comparisons, not a lookup table: torch.tensor(table, device=cuda) is a synchronising copy.
    cos = (k == 0).float() - (k == 2).float()
    sin = (k == 1).float() - (k == 3).float()
    return _stack([[cos, -sin, 0], [sin, cos, 0], [0, 0, 1]], cos)


def translate3d(tx: Tensor, ty: Tensor, tz: Tensor) -> Tensor:
    """(B, 4, 4): add (tx, ty, tz) to the (R, G, B) colour vector."""
    return _stack([[1, 0, 0, tx], [0, 1, 0, ty], [0, 0, 1, tz], [0, 0, 0, 1]], tx)


def scale3d(sx: Tensor, sy: Tensor, sz: Tensor) -> Tensor:
    """(B, 4, 4): scale the (R, G, B) colour vector about 0 (mid-grey in the [-1, 1] range)."""
    return _stack([[sx, 0, 0, 0], [0, sy, 0, 0], [0, 0, sz, 0], [0, 0, 0, 1]], sx)


def luma_axis(device: torch.device | str | None = None) -> Tensor:
    """(4,): v = (1, 1, 1, 0) / sqrt(3), the grey axis of RGB space (homogeneous, w = 0)."""
    # Built on the device (no host-to-device copy, which would synchronise a CUDA stream).
    return torch.cat(
        [torch.full((3,), 1.0 / math.sqrt(3.0), device=device), torch.zeros(1, device=device)]
    )


def rotate3d(v: Tensor, theta: Tensor) -> Tensor:
    """(B, 4, 4): rotate colours by ``theta`` (B,) radians about the unit axis ``v`` (4,), w = 0.

    Rodrigues' formula R = cos(t) I + sin(t) [v]x + (1 - cos(t)) v v^T on the 3x3 block.
    """
    v3 = v[:3].to(theta.dtype)
    zero = torch.zeros_like(v3[0])
    cross = torch.stack([zero, -v3[2], v3[1], v3[2], zero, -v3[0], -v3[1], v3[0], zero]).reshape(
        3, 3
    )  # [v]x, so that [v]x u = v x u
    c, s = torch.cos(theta)[:, None, None], torch.sin(theta)[:, None, None]  # (B, 1, 1)
    eye3 = torch.eye(3, dtype=theta.dtype, device=theta.device)
    r3 = c * eye3 + s * cross + (1 - c) * torch.outer(v3, v3)  # (B, 3, 3)
    out = torch.eye(4, dtype=theta.dtype, device=theta.device).repeat(theta.shape[0], 1, 1)
    out[:, :3, :3] = r3
    return out
