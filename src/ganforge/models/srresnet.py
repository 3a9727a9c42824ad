"""SRResNet and the SRGAN discriminator: Ledig et al. 2017, "Photo-Realistic Single Image
Super-Resolution Using a Generative Adversarial Network" (CVPR, arXiv:1609.04802), figure 4.

G: a 9x9 convolution with PReLU, B residual blocks (3x3 conv, batch norm, PReLU, 3x3 conv, batch
norm, identity skip), a 3x3 conv with batch norm added to the first layer's output (the long skip),
log2(scale) upsampling stages (3x3 conv to 4x the channels, pixel shuffle x2 (Shi et al. 2016),
PReLU) and a 9x9 convolution to the image. B = 16 in the paper. We end with Tanh so outputs share
the [-1, 1] range of every ganforge generator (the paper scales HR targets to [-1, 1] too).

D: eight 3x3 convolutions (64, 64, 128, 128, 256, 256, 512, 512 channels; stride 2 on every second;
LeakyReLU 0.2; batch norm on all but the first), then dense 1024, LeakyReLU, dense 1. The paper's
flatten assumes 96 px crops; we average-pool the 512-channel map first so any crop size works
(as most reimplementations do, e.g. https://github.com/leftthomas/SRGAN, model.py).

Call signatures: ``G(lr) -> sr`` with lr (B, C, h, w) and sr (B, C, scale*h, scale*w), both in
[-1, 1]; ``D(x) -> (B,)`` logits; ``D.features(x)`` the last convolutional feature map, for the
discriminator-feature content loss.
"""

from __future__ import annotations

import math

from torch import Tensor, nn


class SRResidualBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, 1, 1, bias=False),
            nn.BatchNorm2d(channels),
            nn.PReLU(channels),
            nn.Conv2d(channels, channels, 3, 1, 1, bias=False),
            nn.BatchNorm2d(channels),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class SRResNet(nn.Module):
    multiple = 1  # fully convolutional at the LR size: any input size works

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        width: int = 64,
        blocks: int = 16,
        scale: int = 4,
    ) -> None:
        super().__init__()
        steps = int(math.log2(scale))
        if scale < 2 or 2**steps != scale:
            raise ValueError(f"SRResNet upscales by powers of two (2, 4, 8), not {scale}")
        self.scale = scale
        # LR pixels on each side an output pixel depends on: 4 (9x9 head) + 2 per block + 1 (body
        # conv) + at most 1 (upsampling convs) + at most 2 (9x9 tail at >= 2x): tiles read this
        # much margin so tiled inference equals one pass over the whole image.
        self.context = 2 * blocks + 8
        self.head = nn.Sequential(nn.Conv2d(in_channels, width, 9, 1, 4), nn.PReLU(width))
        self.body = nn.Sequential(
            *[SRResidualBlock(width) for _ in range(blocks)],
            nn.Conv2d(width, width, 3, 1, 1, bias=False),
            nn.BatchNorm2d(width),
        )
        up: list[nn.Module] = []
        for _ in range(steps):
            up += [nn.Conv2d(width, 4 * width, 3, 1, 1), nn.PixelShuffle(2), nn.PReLU(width)]
        self.upsample = nn.Sequential(*up)
        self.tail = nn.Sequential(nn.Conv2d(width, out_channels, 9, 1, 4), nn.Tanh())

    def forward(self, x: Tensor) -> Tensor:
        h = self.head(x)  # (B, w, h, w)
        h = h + self.body(h)  # the long skip over all residual blocks
        return self.tail(self.upsample(h))  # (B, C, scale*h, scale*w)


class SRDiscriminator(nn.Module):
    def __init__(self, in_channels: int = 3, width: int = 64) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(in_channels, width, 3, 1, 1), nn.LeakyReLU(0.2)]
        c = width
        for i in range(1, 8):
            c_out = width * 2 ** (i // 2)  # 64, 128, 128, 256, 256, 512, 512
            stride = 2 if i % 2 == 1 else 1
            layers += [
                nn.Conv2d(c, c_out, 3, stride, 1, bias=False),
                nn.BatchNorm2d(c_out),
                nn.LeakyReLU(0.2),
            ]
            c = c_out
        self.conv = nn.Sequential(*layers)
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(c, 16 * width),
            nn.LeakyReLU(0.2),
            nn.Linear(16 * width, 1),
        )

    def features(self, x: Tensor) -> Tensor:
        return self.conv(x)  # (B, 8w, H/16, W/16)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)).flatten()  # (B,)
