"""R3GAN networks: Huang, Gokaslan, Kuleshov & Tompkin 2024, "The GAN is dead; long live the GAN!
A Modern GAN Baseline" (arXiv:2501.05441), the R3GAN architecture; details from the official code,
brownvc/R3GAN (R3GAN/Networks.py, R3GAN/FusedOperators.py, R3GAN/Resamplers.py, train.py).

Both networks are ResNets of inverted-bottleneck blocks (1x1 expand, grouped 3x3, 1x1 project) with
no normalisation at all; training is kept stable by the R1 + R2 penalties (losses/penalties.py),
not by the architecture. Stability at init comes from fix-up initialisation instead:

- every residual branch ends in a zero-initialised 1x1 conv, so each block starts as the identity;
- the other convs draw N(0, gain / sqrt(fan_in)) with gain = g_lrelu * L^(-1/4), L the number of
  residual blocks in the network (Zhang et al. 2019, "Fixup Initialization", scaled for the two
  inner layers of a three-layer branch as the official ``VarianceScalingParameter`` does);
- convs carry no bias: a zero-initialised bias is added just before each leaky ReLU (0.2).

G: z (with a class embedding concatenated) -> a learned constant basis (h0, w0) scaled per channel
by a linear map of z -> stages of residual blocks, each stage after the first entered through a 1x1
conv (when the width changes) and a bilinear x2 upsample -> 1x1 conv to the image channels. There
is no tanh: the output is unbounded; clamp to [-1, 1] only to show or save samples.
D mirrors it: 1x1 conv from the image -> stages of blocks, each left through a bilinear /2
downsample and a 1x1 conv -> a depthwise full-extent conv over the (h0, w0) basis and a linear map
-> one logit, or with classes the projection <features, embed(y)> (Miyato & Koyama 2018).

Sizes: any (H, W) = (h0 * 2^k, w0 * 2^k) with 3 <= h0, w0 <= 8 and one k for both sides; see
``basis_size``. ``widths`` and ``blocks_per_stage`` list the stages from the basis (lowest
resolution) to the full image, for D as for G, so one plan builds a matching pair.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganforge.errors import GanforgeError

LRELU_SLOPE = 0.2
# Keeps the second moment of activations through a leaky ReLU (He et al. 2015 for slope 0.2).
LRELU_GAIN = math.sqrt(2 / (1 + LRELU_SLOPE**2))
BASIS_MIN, BASIS_MAX = 3, 8


def basis_size(height: int, width: int) -> tuple[int, int, int]:
    """(k, h0, w0): the number of x2 stages and the basis size for an (H, W) image.

    The largest k such that H / 2^k and W / 2^k are integers in [3, 8]: the smallest basis, as the
    paper's 4x4 (28 -> 7x7 with k=2, 32 -> 4x4 with k=3, 64x96 -> 4x6 with k=4). Other sizes
    raise a GanforgeError naming those that work.
    """
    for k in range(max(height, width).bit_length(), -1, -1):
        h0, w0 = height >> k, width >> k
        exact = (h0 << k, w0 << k) == (height, width)
        if exact and min(h0, w0) >= BASIS_MIN and max(h0, w0) <= BASIS_MAX:
            return k, h0, w0
    raise GanforgeError(
        f"R3GAN cannot build {height}x{width} images: each side must be s * 2^k with the same k "
        f"and {BASIS_MIN} <= s <= {BASIS_MAX} (e.g. 28, 32, 48, 64, 96, 128, 192, 256, or 64x96)"
    )


def stage_plan(height: int, width: int, base_width: int = 32, max_width: int = 128) -> list[int]:
    """Suggested widths per stage, basis first: ``base_width`` at full resolution, doubling at
    each stage towards the basis, capped at ``max_width``.

    The official presets fit this rule: CIFAR-10 is (768, 768), FFHQ-256 is (96, 768), i.e.
    768 up to 32 px, then 384, 192 and 96 (train.py).
    """
    k, _, _ = basis_size(height, width)
    return [min(max_width, base_width * 2 ** (k - i)) for i in range(k + 1)]


def msr_init_(weight: Tensor, gain: float = 1.0) -> Tensor:
    """N(0, gain / sqrt(fan_in)) in place; fan_in = weight[0].numel(), i.e. in / groups * kh * kw
    for a conv and in for a linear map (the official ``MSRInitializer``)."""
    with torch.no_grad():
        return weight.normal_(0.0, gain / math.sqrt(weight[0].numel()))


def _conv(
    c_in: int, c_out: int, kernel: int = 1, groups: int = 1, gain: float = 1.0, bias: bool = False
) -> nn.Conv2d:
    conv = nn.Conv2d(c_in, c_out, kernel, padding=(kernel - 1) // 2, groups=groups, bias=bias)
    msr_init_(conv.weight, gain)
    if bias:
        nn.init.zeros_(conv.bias)
    return conv


def _linear(d_in: int, d_out: int) -> nn.Linear:
    linear = nn.Linear(d_in, d_out, bias=False)
    msr_init_(linear.weight)
    return linear


def _embedding(num_classes: int, dim: int, gain: float) -> nn.Embedding:
    # The official code multiplies a one-hot label by a bias-free linear map; a lookup is the same
    # map, so its rows get that map's init (fan_in = num_classes).
    embed = nn.Embedding(num_classes, dim)
    with torch.no_grad():
        embed.weight.normal_(0.0, gain / math.sqrt(num_classes))
    return embed


def _per_stage(blocks_per_stage: list[int] | int, n: int) -> list[int]:
    blocks = [blocks_per_stage] * n if isinstance(blocks_per_stage, int) else list(blocks_per_stage)
    if len(blocks) != n or min(blocks) < 0:
        raise GanforgeError(f"blocks_per_stage must be one count >= 0 or {n} of them, got {blocks}")
    return blocks


def _check_widths(widths: list[int], height: int, width: int) -> None:
    k, h0, w0 = basis_size(height, width)
    if len(widths) != k + 1 or min(widths) < 1:
        raise GanforgeError(
            f"{height}x{width} images grow from a {h0}x{w0} basis in {k + 1} stages, so widths "
            f"needs {k + 1} positive entries, got {widths} (stage_plan suggests some)"
        )


def _activated_conv(c_in: int, c_out: int, kernel: int, groups: int, gain: float) -> nn.Module:
    """conv + b, then leaky ReLU 0.2: the official conv followed by its ``BiasedActivation`` (a
    per-channel bias b, zero at the start; the only biases of the networks), with b added inside
    the convolution. On a CPU that saves a read and a write of
    the whole activation forward and backward (the profile of a 28 px step: ~5%)."""
    return nn.Sequential(
        _conv(c_in, c_out, kernel, groups=groups, gain=gain, bias=True),
        nn.LeakyReLU(LRELU_SLOPE),
    )


class InvertedBottleneck(nn.Module):
    """x + residual(x), residual = 1x1 expand -> act -> grouped kxk -> act -> 1x1 project.

    ``variance_scale`` is the number L of residual blocks in the whole network: scaling the two
    inner layers by L^(-1/4) (= L^(-1/(2m-2)) for m = 3 layers) bounds the growth of the output
    variance once the zero-initialised last layer starts learning (Fixup).
    """

    def __init__(
        self,
        channels: int,
        expansion: int,
        group_width: int,
        variance_scale: int,
        kernel_size: int = 3,
    ) -> None:
        super().__init__()
        hidden = channels * expansion
        groups = hidden // group_width if hidden > group_width else 1
        if groups * min(group_width, hidden) != hidden:
            raise GanforgeError(
                f"a block of width {channels} expands to {hidden} channels, which do not split "
                f"into groups of {group_width}: choose widths * expansion divisible by group_width"
            )
        gain = LRELU_GAIN * variance_scale ** (-1 / 4)
        self.residual = nn.Sequential(
            _activated_conv(channels, hidden, 1, 1, gain),
            _activated_conv(hidden, hidden, kernel_size, groups, gain),
            _conv(hidden, channels, 1, gain=0.0),  # zero: the block starts as the identity
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.residual(x)  # (B, C, H, W)


class Upsample(nn.Module):
    """1x1 conv where the width changes, then bilinear x2 (the conv runs at the lower resolution,
    which is cheaper; the official ``UpsampleLayer`` orders them the same way)."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv = _conv(c_in, c_out) if c_in != c_out else None

    def forward(self, x: Tensor) -> Tensor:
        if self.conv is not None:
            x = self.conv(x)
        # Bilinear x2 is the official [1, 3, 3, 1] filter away from the border.
        return F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)


class Downsample(nn.Module):
    """The [1, 3, 3, 1] low-pass /2, then a 1x1 conv where the width changes (as the official
    ``DownsampleLayer``).

    The filter is the official one (upfirdn2d with zero padding), as a fixed depthwise 4x4
    convolution of stride 2: it equals antialiased bilinear /2 away from the border, runs in any
    dtype (PyTorch's antialiased interpolation has no bf16 kernel on CPU) and is twice
    differentiable, which R1 and R2 need.
    """

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv = _conv(c_in, c_out) if c_in != c_out else None
        taps = torch.tensor([1.0, 3.0, 3.0, 1.0])
        self.register_buffer(
            "kernel", (taps[:, None] * taps[None, :] / 64).view(1, 1, 4, 4), persistent=False
        )

    def forward(self, x: Tensor) -> Tensor:
        c = x.shape[1]
        k = self.kernel.to(x.dtype).expand(c, 1, 4, 4)
        x = F.conv2d(x, k, stride=2, padding=1, groups=c)  # (B, C, H/2, W/2)
        return self.conv(x) if self.conv is not None else x


class GenerativeBasis(nn.Module):
    """A learned (C, h0, w0) constant, each channel scaled by a linear map of the input vector."""

    def __init__(self, in_dim: int, channels: int, h0: int, w0: int) -> None:
        super().__init__()
        self.basis = nn.Parameter(torch.randn(channels, h0, w0))
        self.linear = _linear(in_dim, channels)

    def forward(self, z: Tensor) -> Tensor:
        return self.basis[None] * self.linear(z)[:, :, None, None]  # (B, C, h0, w0)


class DiscriminativeBasis(nn.Module):
    """The mirror of GenerativeBasis: a depthwise conv with the basis's full extent reduces each
    channel to one number (a learned per-position weighting), then a linear map to ``out_dim``."""

    def __init__(self, channels: int, out_dim: int, h0: int, w0: int) -> None:
        super().__init__()
        self.basis = nn.Conv2d(channels, channels, (h0, w0), groups=channels, bias=False)
        msr_init_(self.basis.weight)
        self.linear = _linear(channels, out_dim)

    def forward(self, h: Tensor) -> Tensor:
        return self.linear(self.basis(h).flatten(1))  # (B, C, h0, w0) -> (B, C) -> (B, out_dim)


def _blocks(n: int, channels: int, expansion: int, group_width: int, total: int) -> list[nn.Module]:
    return [InvertedBottleneck(channels, expansion, group_width, total) for _ in range(n)]


class R3Generator(nn.Module):
    """G(z, y=None) -> (B, channels, height, width), unbounded (no tanh).

    ``widths``/``blocks_per_stage``: per stage from the basis to the full image (default
    ``stage_plan(height, width)`` and 1 block each; the official presets use 2). ``group_width``
    is the channel count per group of the grouped conv (16 in every official preset but
    ImageNet's 32), ``expansion`` the bottleneck's expansion (2). With ``num_classes`` > 0 a class
    embedding of ``embed_dim`` (default ``z_dim``) is concatenated to z.
    """

    def __init__(
        self,
        z_dim: int = 64,
        channels: int = 3,
        height: int = 32,
        width: int = 32,
        widths: list[int] | None = None,
        blocks_per_stage: list[int] | int = 1,
        group_width: int = 16,
        expansion: int = 2,
        num_classes: int = 0,
        embed_dim: int | None = None,
    ) -> None:
        super().__init__()
        widths = stage_plan(height, width) if widths is None else list(widths)
        _check_widths(widths, height, width)
        _, h0, w0 = basis_size(height, width)
        blocks = _per_stage(blocks_per_stage, len(widths))
        total = max(1, sum(blocks))
        self.z_dim, self.num_classes = z_dim, num_classes
        e = (embed_dim or z_dim) if num_classes > 0 else 0
        self.embed = _embedding(num_classes, e, gain=1.0) if num_classes > 0 else None
        self.basis = GenerativeBasis(z_dim + e, widths[0], h0, w0)
        stages = [nn.Sequential(*_blocks(blocks[0], widths[0], expansion, group_width, total))]
        for i in range(1, len(widths)):
            stages.append(
                nn.Sequential(
                    Upsample(widths[i - 1], widths[i]),
                    *_blocks(blocks[i], widths[i], expansion, group_width, total),
                )
            )
        self.stages = nn.ModuleList(stages)
        self.to_image = _conv(widths[-1], channels)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        h = z.flatten(1)  # (B, z_dim)
        if self.embed is not None:
            if y is None:
                raise ValueError("this generator is class-conditional: pass labels y")
            h = torch.cat([h, self.embed(y)], dim=1)  # (B, z_dim + embed_dim)
        h = self.basis(h)  # (B, widths[0], h0, w0)
        for stage in self.stages:
            h = stage(h)  # (B, widths[i], h0 * 2^i, w0 * 2^i)
        return self.to_image(h)  # (B, C, H, W)


class R3Discriminator(nn.Module):
    """D(x, y=None) -> (B,) logits for (B, channels, height, width) images.

    ``widths``/``blocks_per_stage`` are listed as for the generator, basis first (D runs them in
    reverse), so the same plan gives the mirror pair, as the official train.py does. With
    ``num_classes`` > 0 the logit is the projection <features, embed(y)> over ``embed_dim``
    features (default ``widths[0]``, the official choice); there is no separate unconditional term.
    """

    def __init__(
        self,
        channels: int = 3,
        height: int = 32,
        width: int = 32,
        widths: list[int] | None = None,
        blocks_per_stage: list[int] | int = 1,
        group_width: int = 16,
        expansion: int = 2,
        num_classes: int = 0,
        embed_dim: int | None = None,
    ) -> None:
        super().__init__()
        widths = stage_plan(height, width) if widths is None else list(widths)
        _check_widths(widths, height, width)
        _, h0, w0 = basis_size(height, width)
        blocks = _per_stage(blocks_per_stage, len(widths))
        total = max(1, sum(blocks))
        widths, blocks = widths[::-1], blocks[::-1]  # full resolution first
        self.num_classes = num_classes
        e = (embed_dim or widths[-1]) if num_classes > 0 else 0
        self.from_image = _conv(channels, widths[0])
        stages = []
        for i in range(len(widths)):
            layers = _blocks(blocks[i], widths[i], expansion, group_width, total)
            if i + 1 < len(widths):
                layers.append(Downsample(widths[i], widths[i + 1]))
            stages.append(nn.Sequential(*layers))
        self.stages = nn.ModuleList(stages)
        self.basis = DiscriminativeBasis(widths[-1], e if num_classes > 0 else 1, h0, w0)
        # gain 1/sqrt(e) (official): the inner product sums e terms, so its scale does not grow
        # with the embedding size.
        self.embed = _embedding(num_classes, e, gain=e**-0.5) if num_classes > 0 else None

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        h = self.from_image(x)  # (B, widths[-1], H, W)
        for stage in self.stages:
            h = stage(h)  # halves H and W until (B, widths[0], h0, w0)
        out = self.basis(h)  # (B, 1) or (B, embed_dim)
        if self.embed is None:
            return out.squeeze(1)  # (B,)
        if y is None:
            raise ValueError("this discriminator is class-conditional: pass labels y")
        return (out * self.embed(y)).sum(dim=1)  # (B,)
