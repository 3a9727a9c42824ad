"""Adversarial losses as small pure functions of discriminator logits.

Each entry of ``LOSSES`` is a pair ``(d_loss(real_logits, fake_logits, real_target), g_loss(fake_logits))``
returning scalar means; the trainer owns backward and optimizer steps. Logits are raw D outputs
(no sigmoid): BCE is computed through softplus, which is exact and never takes log(0).

- minimax: Goodfellow et al. 2014, "Generative Adversarial Nets", eq. 1; G minimises log(1 - D(G(z))),
  which saturates when D rejects fakes confidently.
- nonsaturating: same paper, section 3: G maximises log D(G(z)) instead (the practical default).
- lsgan: Mao et al. 2017, "Least Squares Generative Adversarial Networks", a=0, b=1, c=1.
- hinge: Lim & Ye 2017, "Geometric GAN"; Miyato et al. 2018 (SNGAN).
- wasserstein: Arjovsky et al. 2017, "Wasserstein GAN" (critic scores, pair with clipping or a penalty).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor


def _bce_real(logits: Tensor, target: float) -> Tensor:
    # BCE(sigmoid(l), t) = t * softplus(-l) + (1 - t) * softplus(l); target < 1 is one-sided smoothing.
    loss = F.softplus(-logits)
    if target != 1.0:
        loss = target * loss + (1.0 - target) * F.softplus(logits)
    return loss.mean()


def d_bce(real: Tensor, fake: Tensor, real_target: float = 1.0) -> Tensor:
    """-log D(x) - log(1 - D(G(z))): shared by the minimax and non-saturating games."""
    return _bce_real(real, real_target) + F.softplus(fake).mean()


def g_minimax(fake: Tensor) -> Tensor:
    """log(1 - D(G(z))) = -softplus(l): the saturating generator loss of eq. 1."""
    return -F.softplus(fake).mean()


def g_nonsaturating(fake: Tensor) -> Tensor:
    """-log D(G(z)) = softplus(-l)."""
    return F.softplus(-fake).mean()


def d_lsgan(real: Tensor, fake: Tensor, real_target: float = 1.0) -> Tensor:
    """1/2 (D(x) - b)^2 + 1/2 D(G(z))^2 with b = real_target."""
    return 0.5 * ((real - real_target) ** 2).mean() + 0.5 * (fake**2).mean()


def g_lsgan(fake: Tensor) -> Tensor:
    """1/2 (D(G(z)) - 1)^2."""
    return 0.5 * ((fake - 1.0) ** 2).mean()


def d_hinge(real: Tensor, fake: Tensor, real_target: float = 1.0) -> Tensor:
    """max(0, 1 - D(x)) + max(0, 1 + D(G(z))); the margin on reals is ``real_target``."""
    return F.relu(real_target - real).mean() + F.relu(1.0 + fake).mean()


def g_hinge(fake: Tensor) -> Tensor:
    """-D(G(z))."""
    return -fake.mean()


def d_wasserstein(real: Tensor, fake: Tensor, real_target: float = 1.0) -> Tensor:
    """D(G(z)) - D(x): the critic maximises the score gap (``real_target`` has no meaning here)."""
    return fake.mean() - real.mean()


g_wasserstein = g_hinge

LossPair = tuple[Callable[..., Tensor], Callable[[Tensor], Tensor]]

LOSSES: dict[str, LossPair] = {
    "minimax": (d_bce, g_minimax),
    "nonsaturating": (d_bce, g_nonsaturating),
    "lsgan": (d_lsgan, g_lsgan),
    "hinge": (d_hinge, g_hinge),
    "wasserstein": (d_wasserstein, g_wasserstein),
}


def discriminator_prob(logits: Tensor, loss: str) -> Tensor:
    """What to log as D(x): a probability for the BCE games, the raw score otherwise."""
    return torch.sigmoid(logits) if loss in ("minimax", "nonsaturating") else logits
