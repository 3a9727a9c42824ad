"""Conditioning augmentation: Zhang et al. 2017, "StackGAN: Text to Photo-realistic Image Synthesis
with Stacked Generative Adversarial Networks" (ICCV), section 3.1; reference code
hanzhanggit/StackGAN-Pytorch (code/model.py, ``CA_NET``).

A sentence embedding is a single point, and the few captions of a data set leave the conditioning
manifold sparse. CA instead samples the generator's condition from N(mu(t), diag(sigma(t)^2)), mu
and log sigma^2 given by a fully connected layer with a gated linear unit, and adds the
Kullback-Leibler divergence to N(0, I) to the generator's loss (``losses/kl.py``), which keeps the
manifold smooth and the embedding small-perturbation robust.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn


class Augmented(NamedTuple):
    """c (B, c_dim): the condition G sees; mu, logvar (B, c_dim): for the KL term."""

    c: Tensor
    mu: Tensor
    logvar: Tensor


class ConditioningAugmentation(nn.Module):
    """sentence (B, t_dim) -> Augmented; c = mu + sigma * eps, eps ~ N(0, I).

    ``sample=False`` returns c = mu (a deterministic condition, e.g. for an interpolation
    that should change only with the text); StackGAN samples at test time as well.
    """

    def __init__(self, t_dim: int, c_dim: int) -> None:
        super().__init__()
        self.c_dim = c_dim
        # fc to 4 c_dim, then GLU halves it to [mu; logvar] (the reference's CA_NET).
        self.fc = nn.Linear(t_dim, 4 * c_dim)
        self.glu = nn.GLU(dim=1)

    def forward(
        self, sentence: Tensor, sample: bool = True, generator: torch.Generator | None = None
    ) -> Augmented:
        h = self.glu(self.fc(sentence))  # (B, 2 c_dim)
        mu, logvar = h[:, : self.c_dim], h[:, self.c_dim :]
        if not sample:
            return Augmented(mu, mu, logvar)
        eps = torch.randn(
            mu.shape, generator=generator, device=mu.device, dtype=mu.dtype
        )  # (B, c_dim)
        return Augmented(mu + eps * torch.exp(0.5 * logvar), mu, logvar)
