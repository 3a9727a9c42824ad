"""Apply per-sample 4x4 colour matrices to RGB, RGBA and grayscale batches.

Karras et al. 2020, "Training Generative Adversarial Networks with Limited Data" (arXiv 2006.06676),
appendix B: brightness, contrast, luma flip, hue rotation and saturation are affine maps of the
RGB vector, composed into one homogeneous 4x4 matrix C per sample and applied once. For a
single-channel image the reference (NVlabs/stylegan2-ada-pytorch, training/augment.py) applies
the mean of C's three colour rows to the grey value, i.e. the grey value of C applied to (l, l, l).

Colour acts on the colour channels only: an alpha channel (4th of RGBA) passes through untouched,
so augmentation never changes which pixels are transparent.
"""

from __future__ import annotations

import torch
from torch import Tensor

CHANNELS = (1, 3, 4)
"""Channel counts the augmentations accept: L, RGB, RGBA."""


def check_channels(x: Tensor) -> None:
    """Raise ValueError unless ``x`` is a (B, C, H, W) batch with C in 1, 3, 4."""
    if x.dim() != 4 or x.shape[1] not in CHANNELS:
        raise ValueError(
            f"augmentation expects (B, C, H, W) with C in 1, 3, 4; got {tuple(x.shape)}"
        )


def split_alpha(x: Tensor) -> tuple[Tensor, Tensor | None]:
    """(B, C, H, W) -> colour channels (B, 1 or 3, H, W) and alpha (B, 1, H, W) or None."""
    if x.shape[1] == 4:
        return x[:, :3], x[:, 3:]
    return x, None


def join_alpha(color: Tensor, alpha: Tensor | None) -> Tensor:
    """Inverse of ``split_alpha``."""
    return color if alpha is None else torch.cat([color, alpha], dim=1)


def apply_color_matrix(x: Tensor, m: Tensor) -> Tensor:
    """Map each pixel's colour v to ``m[b] @ (v, 1)``; (B, C, H, W) with C in 1, 3, 4, m (B, 4, 4).

    RGB: C[:3, :3] v + C[:3, 3]. Grayscale l: l * mean_k(sum_j C[k, j]) + mean_k(C[k, 3]), the
    reference's rule (the mean of the RGB result for the grey pixel (l, l, l)). Alpha untouched.
    Computed in float32 (a bfloat16 gain would be off by up to 0.4%) and cast back to x's dtype.
    """
    check_channels(x)
    color, alpha = split_alpha(x)
    b, c, h, w = color.shape
    m = m.float()
    flat = color.float().reshape(b, c, h * w)  # (B, c, HW)
    if c == 3:
        out = torch.baddbmm(m[:, :3, 3:], m[:, :3, :3], flat)  # (B, 3, HW)
    else:
        row = m[:, :3, :].mean(dim=1)  # (B, 4): the grey pixel's row
        gain = row[:, :3].sum(dim=1)[:, None, None]  # (B, 1, 1)
        out = flat * gain + row[:, 3:, None]
    return join_alpha(out.reshape(b, c, h, w).to(x.dtype), alpha)
