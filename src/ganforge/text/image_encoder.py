"""The image encoder of the contrastive text-image pre-training: a small CNN -> one image vector.

AttnGAN's DAMSM (Xu et al. 2018, section 3.2) pairs its text encoder with an ImageNet Inception-v3
and trains both so that matching image-sentence pairs score higher than mismatched ones; DF-GAN
(Tao et al. 2022) and most later text-to-image GANs take that text encoder as it is. No pre-trained
image network can be downloaded here, so ours is trained from scratch on the data set's own
images, and kept small: it only has to tell the captions' attributes apart, and it runs on a CPU.

Architecture for a side of 2^k pixels (32 or 64), input in [-1, 1]:
    conv3x3 C->w | [conv3x3 stride 2 -> GroupNorm -> LeakyReLU 0.2] until 4x4, doubling the width
    up to 8w | flatten -> linear out_dim
"""

from __future__ import annotations

import math

from torch import Tensor, nn


class ImageEncoder(nn.Module):
    """(B, C, S, S) float in [-1, 1] -> (B, out_dim); S a power of two >= 8."""

    def __init__(
        self, channels: int = 1, size: int = 32, width: int = 32, out_dim: int = 128
    ) -> None:
        super().__init__()
        if size < 8 or size & (size - 1):
            raise ValueError(f"size={size} must be a power of two >= 8")
        layers: list[nn.Module] = [nn.Conv2d(channels, width, 3, 1, 1), nn.LeakyReLU(0.2)]
        c, s = width, size
        while s > 4:
            c_out = min(2 * c, 8 * width)
            # GroupNorm, not BatchNorm: contrastive batches mix an image with its own captions, and
            # batch statistics would leak which images share a batch into every embedding.
            layers += [
                nn.Conv2d(c, c_out, 3, 2, 1),
                nn.GroupNorm(math.gcd(8, c_out), c_out),
                nn.LeakyReLU(0.2),
            ]
            c, s = c_out, s // 2
        self.convs = nn.Sequential(*layers)
        self.head = nn.Linear(c * 16, out_dim)
        self.out_dim = out_dim

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.convs(x).flatten(1))  # (B, 8w * 4 * 4) -> (B, out_dim)
