"""Execute a per-sample 2-D affine map with one bilinear ``grid_sample`` and reflection padding.

Karras et al. 2020, "Training Generative Adversarial Networks with Limited Data" (arXiv 2006.06676),
appendix B: the geometric augmentations are composed into one inverse matrix G^-1 per sample
(output pixel -> input pixel) and the image is resampled once, with reflection padding so no
black borders leak the augmentation into the generated distribution.

Approximation, stated on purpose: the official code (NVlabs/stylegan2-ada-pytorch,
training/augment.py) pads, upsamples 2x with the sym6 wavelet filter, samples bilinearly and
downsamples again, which suppresses aliasing under rotation and down-scaling. Here the image is
sampled with plain bilinear ``grid_sample`` at its own resolution: cheaper, same geometry, a
little more aliasing for minifying transforms. The padding is the same ``reflect`` (mirror about
the border pixel centres, edge not repeated) as the reference's ``F.pad(mode='reflect')``:
``grid_sample(padding_mode='reflection', align_corners=True)`` reflects about the corner pixel
centres, and keeps reflecting far outside instead of needing a margin computed on the host.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ganforge.augment.matrices import scale2d


def warp_affine(x: Tensor, g_inv: Tensor) -> Tensor:
    """Resample (B, C, H, W) images: output pixel p reads input pixel ``g_inv[b] @ p``.

    ``g_inv`` (B, 3, 3) acts on homogeneous pixel coordinates (x right, y down, origin at the image
    centre, one unit per pixel), as G_inv in the reference. Bilinear; reflect padding. Sampling
    runs in float32 whatever ``x``'s dtype (half-precision grid coordinates would misplace pixels
    on large images) and the result is cast back.
    """
    b, c, h, w = x.shape
    # affine_grid with align_corners=True puts -1 and +1 on the centres of the corner pixels, so
    # normalised = pixel / half_extent; conjugate G_inv by that scaling.
    half = (
        torch.full((b,), (w - 1) / 2, device=x.device),
        torch.full((b,), (h - 1) / 2, device=x.device),
    )
    to_pixels = scale2d(*half)  # (B, 3, 3): normalised -> pixel coordinates
    to_norm = scale2d(1 / half[0], 1 / half[1])
    theta = to_norm @ g_inv.float() @ to_pixels  # (B, 3, 3)
    grid = F.affine_grid(theta[:, :2, :], [b, c, h, w], align_corners=True)  # (B, H, W, 2)
    out = F.grid_sample(
        x.float(), grid, mode="bilinear", padding_mode="reflection", align_corners=True
    )
    return out.to(x.dtype)
