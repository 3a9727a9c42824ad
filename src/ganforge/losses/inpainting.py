"""Reconstruction losses of inpainting, as small pure functions of (output, target, mask).

``mask`` is (B, 1, H, W) with 1 = missing (the hole), broadcast over channels. Every loss is a
scalar mean over all B C H W elements, not over the hole's: the normalisation of Liu et al. 2018
(1 / N_Igt with N_Igt = C H W), so a small hole weighs less than a large one, as in the
papers; the tasks weight and sum them and the trainer owns backward.

- ``hole_l1`` / ``valid_l1``: Liu, Reda, Shih, Wang, Tao & Catanzaro 2018, "Image Inpainting for
  Irregular Holes Using Partial Convolutions" (ECCV): L_hole = |(1 - M)(I_out - I_gt)|_1
  / N and L_valid = |M (I_out - I_gt)|_1 / N (their M is 1 where known, ours where missing).
- ``masked_l1``: w_hole L_hole + w_valid L_valid; Liu et al. weight 6 and 1. Yu et al.
  2019 ("Free-Form Image Inpainting with Gated Convolution", ICCV) use a plain
  pixel-wise L1 with weight 1 beside the SN-PatchGAN hinge loss, on every stage of the
  coarse-to-fine network: w_hole = w_valid = 1 is exactly that.
- ``hole_l2``: Pathak et al. 2016, "Context Encoders" (CVPR): L_rec = |M (x - F((1 - M)
  x))|_2^2 (here averaged like the others; the reference's MSECriterion also averages), with
  lambda_rec = 0.999 and lambda_adv = 0.001; Iizuka et al. 2017 ("Globally and Locally Consistent
  Image Completion", SIGGRAPH) use the same weighted MSE with alpha = 0.0004 on the GAN
  loss.
- ``hole_tv``: Liu et al. 2018's L_tv (weight 0.1): the total variation of the composited
  image over P, the 1-pixel dilation of the hole, smoothing the seam between filled and known.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor


def hole_l1(fake: Tensor, target: Tensor, mask: Tensor) -> Tensor:
    """|M (fake - target)|_1 / (B C H W): the L1 error in the hole, over all elements."""
    return ((fake - target).abs() * mask).mean()


def valid_l1(fake: Tensor, target: Tensor, mask: Tensor) -> Tensor:
    """|(1 - M) (fake - target)|_1 / (B C H W): the L1 error on the known pixels."""
    return ((fake - target).abs() * (1 - mask)).mean()


def masked_l1(
    fake: Tensor,
    target: Tensor,
    mask: Tensor,
    hole_weight: float = 6.0,
    valid_weight: float = 1.0,
) -> Tensor:
    """hole_weight L_hole + valid_weight L_valid (Liu et al. 2018: 6 and 1; Yu et al. 2019: 1, 1)."""
    err = (fake - target).abs()  # (B, C, H, W)
    return (err * (hole_weight * mask + valid_weight * (1 - mask))).mean()


def hole_l2(fake: Tensor, target: Tensor, mask: Tensor) -> Tensor:
    """|M (fake - target)|_2^2 / (B C H W): Context Encoders' reconstruction loss."""
    return ((fake - target).pow(2) * mask).mean()


def hole_tv(composite: Tensor, mask: Tensor) -> Tensor:
    """Liu et al. 2018's L_tv over P, the hole dilated by one pixel: sum over (i, j) in P of
    |I(i, j+1) - I(i, j)| + |I(i+1, j) - I(i, j)|, divided by B C H W."""
    p = F.max_pool2d(mask.float(), 3, stride=1, padding=1).to(composite.dtype)  # (B, 1, H, W)
    dx = (composite[..., :, 1:] - composite[..., :, :-1]).abs() * p[..., :, :-1]
    dy = (composite[..., 1:, :] - composite[..., :-1, :]).abs() * p[..., :-1, :]
    return (dx.sum() + dy.sum()) / composite.numel()
