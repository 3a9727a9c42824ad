"""The relativistic pairing GAN loss (RpGAN) as pure functions of discriminator logits.

Jolicoeur-Martineau 2018, "The relativistic discriminator: a key element missing from standard
GAN" (arXiv:1807.00734), RSGAN with f = softplus(-t); Huang et al. 2024, "The GAN is dead; long
live the GAN! A Modern GAN Baseline" (arXiv:2501.05441), section 2, which pairs it with R1 + R2
(losses/penalties.py) and proves local convergence for the pair. Official code: brownvc/R3GAN,
R3GAN/Trainer.py.

With f(t) = softplus(-t) = -log sigmoid(t), each real x_i is paired with the fake G(z_i) of the
same batch position:

    L_D = E_i[ f(D(x_i) - D(G(z_i))) ]        L_G = E_i[ f(D(G(z_i)) - D(x_i)) ]

D learns that a real looks more real than its paired fake, G that its fake looks more real than
the paired real; the generator loss therefore needs real logits too (computed without grad to x).
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor


def _check_pairs(real_logits: Tensor, fake_logits: Tensor) -> None:
    # (B,) against (B, 1) would broadcast to (B, B) and silently compare every pair.
    if real_logits.shape != fake_logits.shape:
        raise ValueError(
            f"RpGAN pairs logits one to one: got shapes {tuple(real_logits.shape)} and "
            f"{tuple(fake_logits.shape)}"
        )


def d_rpgan(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """L_D = mean softplus(-(D(x) - D(G(z)))) over pairs; (B,) logits -> scalar."""
    _check_pairs(real_logits, fake_logits)
    return F.softplus(fake_logits - real_logits).mean()


def g_rpgan(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """L_G = mean softplus(-(D(G(z)) - D(x))) over pairs; (B,) logits -> scalar."""
    _check_pairs(real_logits, fake_logits)
    return F.softplus(real_logits - fake_logits).mean()
