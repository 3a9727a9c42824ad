"""SNGAN ResNet for 32 px: Miyato et al. 2018, "Spectral Normalization for Generative Adversarial
Networks", appendix B.4 (tables 4 and 5), the CIFAR-10 ResNet after Gulrajani et al. 2017.

G: z -> linear 4x4xW -> 3 up-sampling residual blocks (BN, ReLU, nearest x2, 3x3 convs) -> BN, ReLU,
3x3 conv, Tanh. D: an "optimised" first block, three residual blocks (two down-sampling), ReLU,
global sum pooling, linear; spectral norm on every layer. With ``conditional="projection"`` G uses
class-conditional batch norm and D adds the projection term (Miyato & Koyama 2018).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganforge.models.conditional import CondBatchNorm2d, LabelPlane, Projection
from ganforge.models.layers import sn


class GBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, num_classes: int) -> None:
        super().__init__()
        self.cond = num_classes > 0
        bn = (lambda c: CondBatchNorm2d(c, num_classes)) if self.cond else nn.BatchNorm2d
        self.bn1, self.bn2 = bn(c_in), bn(c_out)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, 1, 1)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1)
        self.skip = nn.Conv2d(c_in, c_out, 1)
        for m in (self.conv1, self.conv2):
            nn.init.xavier_uniform_(m.weight, 2**0.5)
        nn.init.xavier_uniform_(self.skip.weight)

    def _bn(self, bn: nn.Module, h: Tensor, y: Tensor | None) -> Tensor:
        return bn(h, y) if self.cond else bn(h)

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        h = F.relu(self._bn(self.bn1, x, y))
        h = F.interpolate(h, scale_factor=2, mode="nearest")
        h = self.conv1(h)
        h = self.conv2(F.relu(self._bn(self.bn2, h, y)))
        return h + self.skip(F.interpolate(x, scale_factor=2, mode="nearest"))


class DBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, down: bool, first: bool, use_sn: bool = True) -> None:
        super().__init__()
        self.down, self.first = down, first
        self.conv1 = sn(nn.Conv2d(c_in, c_out, 3, 1, 1), use_sn)
        self.conv2 = sn(nn.Conv2d(c_out, c_out, 3, 1, 1), use_sn)
        self.skip = sn(nn.Conv2d(c_in, c_out, 1), use_sn) if (c_in != c_out or down) else None

    def forward(self, x: Tensor) -> Tensor:
        h = x if self.first else F.relu(x)
        h = self.conv2(F.relu(self.conv1(h)))
        if self.down:
            h = F.avg_pool2d(h, 2)
        s = x
        if self.skip is not None:
            # The optimised first block pools before its 1x1 conv; the others convolve first.
            if self.first:
                s = self.skip(F.avg_pool2d(x, 2))
            else:
                s = self.skip(x)
                s = F.avg_pool2d(s, 2) if self.down else s
        return h + s


class ResNetGenerator(nn.Module):
    def __init__(
        self,
        z_dim: int = 128,
        channels: int = 3,
        width: int = 256,
        num_classes: int = 0,
        conditional: str = "none",
        embed_dim: int = 50,
    ) -> None:
        super().__init__()
        self.z_dim, self.width = z_dim, width
        self.embed = (
            nn.Embedding(num_classes, embed_dim)
            if num_classes and conditional == "concat"
            else None
        )
        n_cbn = num_classes if conditional == "projection" else 0
        self.cond = n_cbn > 0
        self.linear = nn.Linear(z_dim + (embed_dim if self.embed is not None else 0), 16 * width)
        self.blocks = nn.ModuleList(GBlock(width, width, n_cbn) for _ in range(3))
        self.bn = nn.BatchNorm2d(width)
        self.to_rgb = nn.Conv2d(width, channels, 3, 1, 1)
        nn.init.xavier_uniform_(self.linear.weight)
        nn.init.xavier_uniform_(self.to_rgb.weight)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        h = z.flatten(1)
        if self.embed is not None:
            h = torch.cat([h, self.embed(y)], dim=1)
        h = self.linear(h).view(-1, self.width, 4, 4)  # (B, W, 4, 4)
        for block in self.blocks:
            h = block(h, y if self.cond else None)  # 8, 16, 32
        return torch.tanh(self.to_rgb(F.relu(self.bn(h))))


class ResNetDiscriminator(nn.Module):
    def __init__(
        self,
        channels: int = 3,
        width: int = 128,
        spectral_norm: bool = True,
        num_classes: int = 0,
        conditional: str = "none",
    ) -> None:
        super().__init__()
        self.plane = (
            LabelPlane(num_classes, 32) if num_classes and conditional == "concat" else None
        )
        in_ch = channels + (1 if self.plane is not None else 0)
        self.blocks = nn.Sequential(
            DBlock(in_ch, width, down=True, first=True, use_sn=spectral_norm),  # 16
            DBlock(width, width, down=True, first=False, use_sn=spectral_norm),  # 8
            DBlock(width, width, down=False, first=False, use_sn=spectral_norm),
            DBlock(width, width, down=False, first=False, use_sn=spectral_norm),
        )
        self.linear = sn(nn.Linear(width, 1), spectral_norm)
        self.projection = (
            Projection(num_classes, width, spectral_norm)
            if num_classes and conditional == "projection"
            else None
        )

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        if self.plane is not None:
            x = self.plane(x, y)
        phi = F.relu(self.blocks(x)).sum(dim=(2, 3))  # (B, W): global sum pooling
        out = self.linear(phi).squeeze(1)
        if self.projection is not None:
            out = out + self.projection(phi, y)
        return out
