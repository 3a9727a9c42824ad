"""The CycleGAN generator: Zhu, Park, Isola & Efros 2017, "Unpaired Image-to-Image Translation
using Cycle-Consistent Adversarial Networks" (ICCV, arXiv:1703.10593), appendix 7.2, after
Johnson et al. 2016's style-transfer network.

c7s1-64, d128, d256, R256 x blocks, u128, u64, c7s1-3: a 7x7 convolution, two stride-2 3x3
convolutions down, residual blocks (two 3x3 convolutions each, reflection padding), two
fractionally strided 3x3 convolutions up and a 7x7 convolution to the output, Tanh. Instance norm
and ReLU after every convolution but the last. The paper uses 6 blocks at 128 px and 9 at 256 px.
Reference: models/networks.py (ResnetGenerator, ResnetBlock) of
https://github.com/junyanz/pytorch-CycleGAN-and-pix2pix.

Input sides must be divisible by 4 and at least 8 (``translate`` pads to a multiple of 4). Call
signature: ``G(x) -> y``, x (B, in_channels, H, W) and y (B, out_channels, H, W) in [-1, 1].
"""

from __future__ import annotations

from torch import Tensor, nn

from ganforge.models.layers import dcgan_init_, norm2d


class ResidualBlock(nn.Module):
    """x + conv(relu(norm(conv(x)))) with reflection padding, which avoids border artefacts."""

    def __init__(self, channels: int, norm: str, dropout: float = 0.0) -> None:
        super().__init__()
        bias = norm != "batch"
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3, bias=bias),
            norm2d(norm, channels),
            nn.ReLU(),
        ]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        layers += [nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=bias)]
        layers.append(norm2d(norm, channels))
        self.body = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    multiple = 4  # two stride-2 levels
    # Sides of at least 8: at 4 the 1x1 bottleneck defeats instance norm and reflection padding.
    min_size = 8

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        width: int = 64,
        blocks: int = 9,
        norm: str = "instance",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        bias = norm != "batch"
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(in_channels, width, 7, bias=bias),
            norm2d(norm, width),
            nn.ReLU(),
        ]
        c = width
        for _ in range(2):  # d128, d256
            layers += [nn.Conv2d(c, 2 * c, 3, 2, 1, bias=bias), norm2d(norm, 2 * c), nn.ReLU()]
            c *= 2
        layers += [ResidualBlock(c, norm, dropout) for _ in range(blocks)]
        for _ in range(2):  # u128, u64
            layers += [
                nn.ConvTranspose2d(c, c // 2, 3, 2, 1, output_padding=1, bias=bias),
                norm2d(norm, c // 2),
                nn.ReLU(),
            ]
            c //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(c, out_channels, 7), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        dcgan_init_(self)  # N(0, 0.02), as in the reference code

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)  # (B, out_channels, H, W) in [-1, 1]
