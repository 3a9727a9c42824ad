"""Discriminator regularisers: gradient penalty, R1, weight clipping.

- gradient_penalty: Gulrajani et al. 2017, "Improved Training of Wasserstein GANs", eq. 3:
  lambda * E[(||grad_xhat D(xhat)||_2 - 1)^2] on xhat = eps x + (1 - eps) G(z), eps ~ U[0, 1].
- r1_penalty: Mescheder et al. 2018, "Which Training Methods for GANs do actually Converge?", eq. 9:
  gamma / 2 * E[||grad_x D(x)||^2] on real data.
- r2_penalty: the same paper, eq. 10: the same squared gradient norm on fake data. R3GAN (Huang et
  al. 2024, arXiv:2501.05441, section 2; brownvc/R3GAN, R3GAN/Trainer.py) adds
  gamma / 2 * (R1 + R2) to the RpGAN discriminator loss (r1_r2_penalty returns R1 + R2).
- clip_weights_: Arjovsky et al. 2017, "Wasserstein GAN", Algorithm 1, clip to [-c, c].

The functions return the unweighted penalty; the trainer multiplies by lambda / gamma so the weight
can be a schedule.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn


def _grad_sq_norm(outputs: Tensor, inputs: Tensor) -> Tensor:
    # create_graph: the penalty itself is differentiated w.r.t. D's weights in backward().
    (grad,) = torch.autograd.grad(outputs.sum(), inputs, create_graph=True)
    return grad.flatten(1).pow(2).sum(1)  # (B,)


def interpolation_weights(n: int, like: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """eps ~ U[0, 1], one per sample, shaped to broadcast over ``like``'s sample dims: (n, 1, ...)."""
    return torch.rand(
        (n,) + (1,) * (like.dim() - 1), generator=generator, device=like.device, dtype=like.dtype
    )


def gradient_penalty(
    critic: Callable[[Tensor], Tensor],
    real: Tensor,
    fake: Tensor,
    generator: torch.Generator | None = None,
    alpha: Tensor | None = None,
) -> Tensor:
    """E[(||grad D(xhat)|| - 1)^2] on random interpolates of real and fake; (B, ...) inputs.

    ``alpha`` (B, 1, ...) are the interpolation weights eps; by default drawn here from
    ``generator``. Distributed training passes this rank's slice of weights drawn for the global
    batch, so the penalty does not depend on the number of processes.
    """
    eps = interpolation_weights(real.shape[0], real, generator) if alpha is None else alpha
    xhat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    norm = _grad_sq_norm(critic(xhat), xhat).add(1e-12).sqrt()
    return ((norm - 1.0) ** 2).mean()


def r1_penalty(real_logits: Tensor, real: Tensor) -> Tensor:
    """E[||grad_x D(x)||^2]; ``real`` must have requires_grad set before D was called on it."""
    return _grad_sq_norm(real_logits, real).mean()


def _require_grad(inputs: Tensor, name: str) -> None:
    if not inputs.requires_grad:
        raise ValueError(
            f"{name} must require grad before D sees it: D(x.detach().requires_grad_(True))"
        )


def r2_penalty(fake_logits: Tensor, fake: Tensor) -> Tensor:
    """E[||grad_x D(x)||^2] at fakes x = G(z): R1 on the generated distribution.

    ``fake`` must be a leaf detached from G with requires_grad set before D was called on it
    (``G(z).detach().requires_grad_(True)``), so the penalty trains D only. The graph is kept
    (create_graph) for the double backward into D's weights. When D sees an augmented copy, the
    gradient is still taken with respect to the un-augmented samples, as in the official code.
    """
    _require_grad(fake, "fake")
    return _grad_sq_norm(fake_logits, fake).mean()


def r1_r2_penalty(real_logits: Tensor, real: Tensor, fake_logits: Tensor, fake: Tensor) -> Tensor:
    """R1 + R2 = E[||grad D(x)||^2] + E[||grad D(G(z))||^2], unweighted.

    R3GAN's discriminator loss is d_rpgan + gamma / 2 * (R1 + R2), with gamma a schedule
    (train/burnin.py); both inputs need requires_grad set before D was called on them.
    """
    _require_grad(real, "real")
    return r1_penalty(real_logits, real) + r2_penalty(fake_logits, fake)


@torch.no_grad()
def clip_weights_(module: nn.Module, c: float) -> None:
    """Clamp every parameter of the critic to [-c, c] in place."""
    for p in module.parameters():
        p.clamp_(-c, c)
