"""Discriminator regularisers: gradient penalty, R1, weight clipping.

- gradient_penalty: Gulrajani et al. 2017, "Improved Training of Wasserstein GANs", eq. 3:
  lambda * E[(||grad_xhat D(xhat)||_2 - 1)^2] on xhat = eps x + (1 - eps) G(z), eps ~ U[0, 1].
- r1_penalty: Mescheder et al. 2018, "Which Training Methods for GANs do actually Converge?", eq. 9:
  gamma / 2 * E[||grad_x D(x)||^2] on real data.
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


@torch.no_grad()
def clip_weights_(module: nn.Module, c: float) -> None:
    """Clamp every parameter of the critic to [-c, c] in place."""
    for p in module.parameters():
        p.clamp_(-c, c)
