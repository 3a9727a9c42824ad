"""Fully connected generator and discriminator.

The image version is the MLP GAN of Goodfellow et al. 2014 as the classic MNIST tutorials build it:
G 100-256-784 (LeakyReLU, Tanh out), D 784-100-50-1 (LeakyReLU, logit out). With ``out_shape=(2,)``
and a linear output the same classes are the MLP pair used for the 2-D toy mixtures (Metz et al. 2017,
"Unrolled GANs", section 3.1).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ganforge.models.layers import sn


def _mlp(sizes: list[int], dropout: float = 0.0) -> list[nn.Module]:
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.LeakyReLU(0.2)]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
    return layers


class MLPGenerator(nn.Module):
    def __init__(
        self,
        z_dim: int,
        hidden: list[int],
        out_shape: tuple[int, ...],
        num_classes: int = 0,
        embed_dim: int = 0,
        tanh: bool = True,
    ) -> None:
        super().__init__()
        self.z_dim, self.out_shape = z_dim, tuple(out_shape)
        self.embed = nn.Embedding(num_classes, embed_dim) if num_classes else None
        sizes = [z_dim + (embed_dim if num_classes else 0), *hidden]
        out = math.prod(out_shape)
        self.net = nn.Sequential(*_mlp(sizes), nn.Linear(sizes[-1], out))
        self.tanh = tanh

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        h = z.flatten(1)
        if self.embed is not None:
            h = torch.cat([h, self.embed(y)], dim=1)
        h = self.net(h)
        if self.tanh:
            h = torch.tanh(h)
        return h.view(-1, *self.out_shape)


class MLPDiscriminator(nn.Module):
    def __init__(
        self,
        in_shape: tuple[int, ...],
        hidden: list[int],
        num_classes: int = 0,
        embed_dim: int = 0,
        dropout: float = 0.0,
        spectral_norm: bool = False,
    ) -> None:
        super().__init__()
        self.embed = nn.Embedding(num_classes, embed_dim) if num_classes else None
        sizes = [math.prod(in_shape) + (embed_dim if num_classes else 0), *hidden]
        layers = [*_mlp(sizes, dropout), nn.Linear(sizes[-1], 1)]
        if spectral_norm:
            layers = [sn(m, isinstance(m, nn.Linear)) for m in layers]
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        h = x.flatten(1)
        if self.embed is not None:
            h = torch.cat([h, self.embed(y).to(h.dtype)], dim=1)
        return self.net(h).squeeze(1)  # (B,)
