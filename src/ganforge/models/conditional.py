"""Class conditioning pieces shared by the generators and discriminators.

- concat: Mirza & Osindero 2014, "Conditional Generative Adversarial Nets": a label embedding is
  concatenated to z and to D's input (for images, as one extra learned input plane).
- projection: Miyato & Koyama 2018, "cGANs with Projection Discriminator", eq. 3:
  D(x, y) = psi(phi(x)) + <embed(y), phi(x)>; the generator uses class-conditional batch norm
  (de Vries et al. 2017; Dumoulin et al. 2017), as their ResNet does.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ganforge.models.layers import sn


class LabelPlane(nn.Module):
    """A learned (1, H, W) plane per class, concatenated to the image as an extra channel."""

    def __init__(self, num_classes: int, size: int) -> None:
        super().__init__()
        self.size = size
        self.embed = nn.Embedding(num_classes, size * size)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        plane = self.embed(y).view(-1, 1, self.size, self.size).to(x.dtype)  # (B, 1, H, W)
        return torch.cat([x, plane], dim=1)


class CondBatchNorm2d(nn.Module):
    """Batch norm whose scale and shift are looked up per class (gamma initialised to 1)."""

    def __init__(self, num_features: int, num_classes: int) -> None:
        super().__init__()
        self.bn = nn.BatchNorm2d(num_features, affine=False)
        self.gamma = nn.Embedding(num_classes, num_features)
        self.beta = nn.Embedding(num_classes, num_features)
        nn.init.ones_(self.gamma.weight)
        nn.init.zeros_(self.beta.weight)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        h = self.bn(x)
        return h * self.gamma(y)[:, :, None, None] + self.beta(y)[:, :, None, None]


class Projection(nn.Module):
    """The <embed(y), phi(x)> term of the projection discriminator; phi(x) is (B, F)."""

    def __init__(self, num_classes: int, features: int, spectral_norm: bool) -> None:
        super().__init__()
        embed = nn.Embedding(num_classes, features)
        nn.init.xavier_uniform_(embed.weight)
        self.embed = sn(embed, spectral_norm)

    def forward(self, phi: Tensor, y: Tensor) -> Tensor:
        return (self.embed(y) * phi).sum(dim=1)  # (B,)
