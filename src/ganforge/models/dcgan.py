"""DCGAN: Radford, Metz & Chintala 2016, "Unsupervised Representation Learning with Deep
Convolutional Generative Adversarial Networks" (arXiv:1511.06434), section 3 and figure 1.

G: z -> transposed convolutions with batch norm and ReLU, Tanh output. D: strided convolutions with
LeakyReLU(0.2), batch norm on every layer but the first, a single logit out. Weights from N(0, 0.02).
Sizes: 64 px (4 upsamplings from 4x4, as in the paper), 32 px (3 from 4x4), 28 px (2 from 7x7).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ganforge.models.conditional import CondBatchNorm2d, LabelPlane, Projection
from ganforge.models.layers import dcgan_init_, norm2d, sn

# resolution -> (start size, number of stride-2 layers)
_LAYOUT = {28: (7, 2), 32: (4, 3), 64: (4, 4)}


class DCGANGenerator(nn.Module):
    def __init__(
        self,
        z_dim: int = 100,
        channels: int = 1,
        resolution: int = 32,
        width: int = 64,
        num_classes: int = 0,
        conditional: str = "none",
        embed_dim: int = 50,
    ) -> None:
        super().__init__()
        start, n_up = _LAYOUT[resolution]
        self.z_dim = z_dim
        self.cond_bn = conditional == "projection" and num_classes > 0
        self.embed = (
            nn.Embedding(num_classes, embed_dim)
            if num_classes and conditional == "concat"
            else None
        )
        widths = [width * 2 ** (n_up - 1 - i) for i in range(n_up)]  # e.g. 256, 128, 64
        in_dim = z_dim + (embed_dim if self.embed is not None else 0)
        self.convs = nn.ModuleList([nn.ConvTranspose2d(in_dim, widths[0], start, 1, 0, bias=False)])
        self.convs.extend(
            nn.ConvTranspose2d(a, b, 4, 2, 1, bias=False) for a, b in zip(widths, widths[1:])
        )
        self.norms = nn.ModuleList(
            CondBatchNorm2d(w, num_classes) if self.cond_bn else nn.BatchNorm2d(w) for w in widths
        )
        self.to_rgb = nn.ConvTranspose2d(widths[-1], channels, 4, 2, 1, bias=False)
        dcgan_init_(self)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        h = z.flatten(1)
        if self.embed is not None:
            h = torch.cat([h, self.embed(y)], dim=1)
        h = h[:, :, None, None]  # (B, z, 1, 1)
        for conv, norm in zip(self.convs, self.norms):
            h = conv(h)
            h = norm(h, y) if self.cond_bn else norm(h)
            h = torch.relu(h)
        return torch.tanh(self.to_rgb(h))  # (B, C, H, W) in [-1, 1]


class DCGANDiscriminator(nn.Module):
    def __init__(
        self,
        channels: int = 1,
        resolution: int = 32,
        width: int = 64,
        norm: str = "batch",
        spectral_norm: bool = False,
        num_classes: int = 0,
        conditional: str = "none",
    ) -> None:
        super().__init__()
        start, n_down = _LAYOUT[resolution]
        self.plane = (
            LabelPlane(num_classes, resolution) if num_classes and conditional == "concat" else None
        )
        widths = [width * 2**i for i in range(n_down)]  # e.g. 64, 128, 256
        in_ch = channels + (1 if self.plane is not None else 0)
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip([in_ch, *widths], widths)):
            layers.append(nn.Conv2d(a, b, 4, 2, 1, bias=i == 0 or norm == "none"))
            if i > 0:  # the paper leaves the first layer un-normalised
                layers.append(norm2d(norm, b))
            layers.append(nn.LeakyReLU(0.2))
        self.features = nn.Sequential(*layers)
        self.head = nn.Conv2d(widths[-1], 1, start, 1, 0)
        self.projection = (
            Projection(num_classes, widths[-1], spectral_norm)
            if num_classes and conditional == "projection"
            else None
        )
        dcgan_init_(self)
        # Spectral norm after the init: its power iteration starts from the N(0, 0.02) weights.
        for i, m in enumerate(self.features):
            if isinstance(m, nn.Conv2d):
                self.features[i] = sn(m, spectral_norm)
        self.head = sn(self.head, spectral_norm)

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        if self.plane is not None:
            x = self.plane(x, y)
        h = self.features(x)  # (B, 4w, start, start)
        out = self.head(h).flatten()  # (B,)
        if self.projection is not None:
            out = out + self.projection(h.sum(dim=(2, 3)), y)
        return out
