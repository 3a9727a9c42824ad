"""DF-GAN: Tao et al. 2022, "DF-GAN: A Simple and Effective Baseline for Text-to-Image Synthesis"
(CVPR), reference code tobran/DF-GAN (code/models/GAN.py).

G (section 3.2, figure 2): z -> linear -> (8w, 4, 4) -> up-sampling residual blocks, each fusing the
condition twice through a **deep fusion block** (DFBlock: affine -> LeakyReLU -> affine ->
LeakyReLU, the affine's channel-wise scale gamma(y) and shift beta(y) predicted by two-layer MLPs of
y = [z; sentence], figure 4) before each 3x3 conv -> LeakyReLU, 3x3 conv, tanh. Channels halve as
the side doubles, from 8w at 4 px down to w at the output.

D (section 3.1, figure 3): 3x3 conv -> residual down-sampling blocks (4x4 stride-2 conv, 3x3 conv,
LeakyReLU; a learnable shortcut; the residual scaled by a gate gamma that starts at 0) down to
(8w, 4, 4); then the **one-way output**: the sentence vector is replicated to 4x4, concatenated to
the image features, and two convs give one logit. D judges "real and matching" in one output,
trained with the hinge loss on (real, matching), (fake, matching) and (real, mismatched) pairs
and regularised by the matching-aware zero-centred gradient penalty (``losses/magp.py``).

Output: the reference ends in tanh. ``output="linear"`` drops it, as StyleGAN2 and R3GAN do
(samples are clamped to [-1, 1] only when they become pixels): on images whose backgrounds are
exactly white or black (emoji and sprites composited on a colour), a tanh G saturated at the
background colour, its gradient vanished and it never recovered (the 64 px emoji in the README),
most likely because tanh can only approach the real background's exact +-1.

Sizes: the reference trains 256 px with w = 32 (G) and 32 (D); ganforge uses the same shapes at
32 px (3 blocks) for the grey CPU demo and 64 px (4 blocks) for colour, with w a config value.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

OUTPUTS = ("tanh", "linear")


def _channels(width: int, size: int) -> list[int]:
    """Per-resolution channels from 4 px up to ``size``: 8w at 4 px, halving per doubling, >= w."""
    if size < 8 or size & (size - 1):
        raise ValueError(f"size={size} must be a power of two >= 8")
    n = int(math.log2(size)) - 1  # 4 px .. size px
    return [width * min(2**i, 8) for i in range(n)][::-1]  # e.g. 32 px: [8w, 4w, 2w, w]


class Affine(nn.Module):
    """x * gamma(y) + beta(y), gamma and beta (B, C) from two-layer MLPs of the condition y.

    As in the reference, the last layers start at gamma = 1, beta = 0: the block starts as the
    identity and learns how much the text should modulate each channel.
    """

    def __init__(self, cond_dim: int, channels: int) -> None:
        super().__init__()
        self.gamma = nn.Sequential(
            nn.Linear(cond_dim, channels), nn.ReLU(), nn.Linear(channels, channels)
        )
        self.beta = nn.Sequential(
            nn.Linear(cond_dim, channels), nn.ReLU(), nn.Linear(channels, channels)
        )
        nn.init.zeros_(self.gamma[2].weight)
        nn.init.ones_(self.gamma[2].bias)
        nn.init.zeros_(self.beta[2].weight)
        nn.init.zeros_(self.beta[2].bias)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        # (B, C, H, W) * (B, C, 1, 1) + (B, C, 1, 1)
        return x * self.gamma(y)[:, :, None, None] + self.beta(y)[:, :, None, None]


class DFBlock(nn.Module):
    """Deep fusion block (figure 4): affine, LeakyReLU 0.2, affine, LeakyReLU 0.2."""

    def __init__(self, cond_dim: int, channels: int) -> None:
        super().__init__()
        self.affine0 = Affine(cond_dim, channels)
        self.affine1 = Affine(cond_dim, channels)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        h = F.leaky_relu(self.affine0(x, y), 0.2)
        return F.leaky_relu(self.affine1(h, y), 0.2)


class GBlock(nn.Module):
    """Nearest x2 up-sampling, then shortcut + [fuse, conv3x3, fuse, conv3x3]."""

    def __init__(self, cond_dim: int, c_in: int, c_out: int) -> None:
        super().__init__()
        self.fuse1 = DFBlock(cond_dim, c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, 1, 1)
        self.fuse2 = DFBlock(cond_dim, c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        x = F.interpolate(x, scale_factor=2, mode="nearest")  # (B, C_in, 2H, 2W)
        h = self.conv2(self.fuse2(self.conv1(self.fuse1(x, y)), y))
        return self.skip(x) + h  # (B, C_out, 2H, 2W)


class DFGANGenerator(nn.Module):
    """G(z, sentence) -> (B, channels, size, size), in [-1, 1] with the tanh output (unbounded with
    ``output="linear"``); z (B, z_dim), sentence (B, cond_dim).

    The affines see y = [z; sentence] (the reference's ``cond = torch.cat((noise, c), dim=1)``), so
    the noise also modulates every block, not only the first feature map.
    """

    def __init__(
        self,
        z_dim: int = 100,
        cond_dim: int = 128,
        channels: int = 1,
        size: int = 32,
        width: int = 32,
        output: str = "tanh",
    ) -> None:
        super().__init__()
        if output not in OUTPUTS:
            raise ValueError(f"output={output!r} must be one of {', '.join(OUTPUTS)}")
        self.z_dim, self.cond_dim, self.size = z_dim, cond_dim, size
        self.tanh = output == "tanh"
        chans = _channels(width, size)
        self.linear = nn.Linear(z_dim, chans[0] * 16)
        self.blocks = nn.ModuleList(
            GBlock(z_dim + cond_dim, c_in, c_out) for c_in, c_out in zip(chans[:-1], chans[1:])
        )
        self.to_image = nn.Conv2d(chans[-1], channels, 3, 1, 1)

    def forward(self, z: Tensor, sentence: Tensor) -> Tensor:
        y = torch.cat([z, sentence], dim=1)  # (B, z_dim + cond_dim)
        h = self.linear(z).unflatten(1, (-1, 4, 4))  # (B, 8w, 4, 4); no len(z): export keeps B
        for block in self.blocks:
            h = block(h, y)  # 8, 16, ... size
        out = self.to_image(F.leaky_relu(h, 0.2))
        return torch.tanh(out) if self.tanh else out


class DBlock(nn.Module):
    """x -> avgpool(shortcut(x)) + gamma * [conv4x4/2, LReLU, conv3x3, LReLU](x); gamma starts at 0."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x: Tensor) -> Tensor:
        h = F.leaky_relu(self.conv2(F.leaky_relu(self.conv1(x), 0.2)), 0.2)  # (B, C_out, H/2, W/2)
        return F.avg_pool2d(self.skip(x), 2) + self.gamma * h


class DFGANDiscriminator(nn.Module):
    """D(x, sentence) -> (B,) logits; ``features`` and ``judge`` split it so that one pass over the
    real images serves both their matching and their mismatched sentences."""

    def __init__(
        self, cond_dim: int = 128, channels: int = 1, size: int = 32, width: int = 32
    ) -> None:
        super().__init__()
        self.cond_dim = cond_dim
        chans = _channels(width, size)[::-1]  # e.g. 32 px: [w, 2w, 4w, 8w]
        self.from_image = nn.Conv2d(channels, chans[0], 3, 1, 1)
        self.blocks = nn.Sequential(*(DBlock(a, b) for a, b in zip(chans[:-1], chans[1:])))
        # The one-way output (reference NetC): joint conv on [features; replicated sentence].
        self.joint = nn.Sequential(
            nn.Conv2d(chans[-1] + cond_dim, 2 * width, 3, 1, 1, bias=False),
            nn.LeakyReLU(0.2),
            nn.Conv2d(2 * width, 1, 4, 1, 0, bias=False),
        )

    def features(self, x: Tensor) -> Tensor:
        """(B, C, S, S) -> (B, 8w, 4, 4)."""
        return self.blocks(self.from_image(x))

    def judge(self, features: Tensor, sentence: Tensor) -> Tensor:
        """(B, 8w, 4, 4) features, (B, cond_dim) sentence -> (B,) logits."""
        s = sentence[:, :, None, None].expand(-1, -1, *features.shape[-2:])  # (B, E, 4, 4)
        return self.joint(torch.cat([features, s], dim=1)).flatten()  # (B, 1, 1, 1) -> (B,)

    def forward(self, x: Tensor, sentence: Tensor) -> Tensor:
        return self.judge(self.features(x), sentence)
