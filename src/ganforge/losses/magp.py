"""The matching-aware zero-centred gradient penalty (MA-GP): Tao et al. 2022, "DF-GAN", section
3.3, eq. 3; reference code tobran/DF-GAN (code/lib/modules.py, ``MA_GP``).

On real images x with their matching sentences e, the discriminator's surface is made flat in both
inputs:

    L_MA-GP = k E[(||grad_x D(x, e)||_2 + ||grad_e D(x, e)||_2)^p]

with k = 2, p = 6. The reference code takes the norm of the concatenated gradient,
sqrt(||grad_x||^2 + ||grad_e||^2), instead of the sum of the two norms written in the paper; we
follow the code (the trained models were made with it). The function returns the unweighted
E[||(grad_x, grad_e)||^p]; the trainer multiplies by k, so the weight can be a schedule, as with the
other penalties (``losses/penalties.py``).
"""

from __future__ import annotations

import torch
from torch import Tensor


def matching_aware_gp(logits: Tensor, image: Tensor, sentence: Tensor, p: float = 6.0) -> Tensor:
    """E[||(grad_x D, grad_e D)||_2^p] over the batch; a scalar.

    ``logits`` (B,) = D(image, sentence) on real, matching pairs; ``image`` (B, C, H, W) and
    ``sentence`` (B, E) must have had requires_grad set before D saw them. The graph is kept
    (create_graph) so that the penalty trains D's weights.
    """
    for name, t in (("image", image), ("sentence", sentence)):
        if not t.requires_grad:
            raise ValueError(
                f"{name} must require grad before D sees it: x.detach().requires_grad_()"
            )
    g_x, g_e = torch.autograd.grad(logits.sum(), (image, sentence), create_graph=True)
    grad = torch.cat([g_x.flatten(1), g_e.flatten(1)], dim=1)  # (B, CHW + E)
    # ||g||^p as (||g||^2)^(p/2): the same value, without sqrt's infinite slope at g = 0.
    return grad.pow(2).sum(1).pow(p / 2).mean()
