"""FastGAN networks: Liu, Zhu, Song & Elgammal 2021, "Towards Faster and Stabilized GAN Training for
High-fidelity Few-shot Image Synthesis" (ICLR 2021, arXiv:2101.04775); details from the official
code, odegeasslbc/FastGAN-pytorch (models.py), sized here for a CPU.

G (section 3.1): z -> a (h0, w0) basis (the official 4x4 transposed conv from 1x1, i.e. a linear
map) -> up-blocks (nearest x2, 3x3 conv to 2C, batch norm, GLU), alternately one conv and two convs
("UpBlockComp", the first up-block is a two-conv one as in the official code) -> 3x3 conv, tanh.
Skip-layer excitation (SLE, section 3.1, eq. 1): a low-resolution feature map is pooled to 4x4,
turned by a 4x4 conv, swish, 1x1 conv and sigmoid into one gate per channel, which multiplies a
feature map 2^gap times larger: a cheap long skip (no spatial upsampling, so the shortcut is global
"style" rather than layout). The paper gates 8->128, 16->256, 32->512 (a 16x jump); here the jump
is 2^min(4, k) over the k up-blocks, so 32 px gates 4->32 and 64 px gates 4->64.

D (section 3.2, figure 4): stride-2 4x4 conv -> down-blocks (a 4x4 stride-2 conv branch and an
average-pool + 1x1 conv branch, averaged) until a (2 h0, 2 w0) grid, the paper's 8x8 -> 1x1 conv,
batch norm, leaky ReLU and a 4x4 valid conv: a map of patch logits ((B, 5 * 5) at 8x8). As the
official code, D also gates its last grid by an SLE from its first feature map when they are at
least two down-blocks apart. Self-supervision (section 3.2, eq. 3): on real images only, two small
decoders (nearest x2, 3x3 conv, batch norm, GLU, ...) reconstruct the whole image at low
resolution from the (2 h0, 2 w0) features, and one random quadrant from the matching quadrant of
the (4 h0, 4 w0) features, the paper's 16x16. The reconstruction loss (losses/self_supervised.py)
is an MSE here, not the paper's LPIPS (see that file).

Interface: ``G(z, y=None) -> (B, C, H, W)`` in [-1, 1]; ``D(x, y=None) -> (B, P)`` patch logits
(every loss in losses/adversarial.py averages elementwise, so each patch is its own decision, as
in the paper); ``D(x, y=None, reconstruct=True, gen=None) -> DiscriminatorReconstruction`` also
returns the two reconstructions and their targets, cut from ``x`` (detached) so that D's input,
augmented or not, is what is reconstructed, as the official code does.

Left out, for a CPU and for ganforge's conventions: G's noise injection (G(z) stays deterministic,
which sampling, interpolation and inversion rely on), the 128 px second output of G and the small
second D branch on it (at 32-128 px the image is already small), and the paper's widths (1024
channels at 4x4); ``fastgan_widths`` suggests CPU-sized ones. Sizes: H, W = (h0 * 2^k, w0 * 2^k)
with 3 <= h0, w0 <= 8 and k >= 3 (D needs its 8x8 and 16x16 grids below the image): 24 to 256 px
square, and non-square such as [64, 96] (a 4x6 basis), [48, 64] or [64, 128].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, overload

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganforge.errors import GanforgeError
from ganforge.models.layers import dcgan_init_, sn
from ganforge.models.spectral_norm import power_iteration_, spectral_layers

BASIS_MIN, BASIS_MAX, MIN_STAGES = 3, 8, 3
LRELU_SLOPE = 0.2


def fastgan_grid(height: int, width: int) -> tuple[int, int, int]:
    """(k, h0, w0): the number of x2 stages and the basis size of an (H, W) image.

    The largest k with H / 2^k and W / 2^k integers in [3, 8] (64 -> 4x4 with k=4, [64, 96] ->
    4x6); k must be at least 3, so D has a (2 h0, 2 w0) and a (4 h0, 4 w0) grid below the image.
    Other sizes raise a one-line GanforgeError naming some that work.
    """
    for k in range(max(height, width).bit_length(), MIN_STAGES - 1, -1):
        h0, w0 = height >> k, width >> k
        exact = (h0 << k, w0 << k) == (height, width)
        if exact and min(h0, w0) >= BASIS_MIN and max(h0, w0) <= BASIS_MAX:
            return k, h0, w0
    raise GanforgeError(
        f"FastGAN cannot build {height}x{width} images: each side must be s * 2^k with the same "
        f"k >= {MIN_STAGES} and {BASIS_MIN} <= s <= {BASIS_MAX} (e.g. 32, 48, 64, 96, 128, 256, "
        f"or 64x96)"
    )


def fastgan_widths(
    height: int, width: int, base_width: int = 16, max_width: int = 256
) -> tuple[list[int], list[int]]:
    """Suggested (G widths, D widths) for an (H, W) image.

    G: k + 1 widths from the basis to the full image, ``base_width`` at full resolution, doubling
    towards the basis and capped at ``max_width`` (64 px: 256, 128, 64, 32, 16). D: k - 1 widths
    from its first feature map (H/2) to its logit grid, twice G's width at each resolution
    (64 px: 64, 128, 256), so D has about G's cost. The official code halves both at every
    doubling too, from 1024 channels at 4x4 (ngf = ndf = 64).
    """
    k, _, _ = fastgan_grid(height, width)
    g = [min(max_width, base_width * 2 ** (k - i)) for i in range(k + 1)]
    d = [min(max_width, 2 * base_width * 2**i) for i in range(k - 1)]
    return g, d


def _init_(module: nn.Module) -> None:
    """N(0, 0.02) weights as the official ``weights_init``, then 15 power iterations so that the
    spectral-norm estimates start from the new weights (they were started from the old ones)."""
    dcgan_init_(module)
    layers = spectral_layers(module)
    for _ in range(15):
        power_iteration_(layers)


def _conv(c_in: int, c_out: int, kernel: int, stride: int = 1, padding: int = 0) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, kernel, stride, padding, bias=False)


class SkipLayerExcitation(nn.Module):
    """SLE (Liu et al. 2021, eq. 1): y = x_high * sigmoid(W2 swish(W1 pool4(x_low))).

    ``x_low`` (B, C_low, h, w) of any size is average-pooled to 4x4 (adaptive pooling; a 3x3 or
    4x6 map works as well), a 4x4 valid conv brings it to 1x1, so the gate is one number per
    channel of ``x_high`` (B, C_high, H, W), whatever their sizes.
    """

    def __init__(self, c_low: int, c_high: int, spectral_norm: bool = True) -> None:
        super().__init__()
        self.gate = nn.Sequential(
            nn.AdaptiveAvgPool2d(4),
            sn(_conv(c_low, c_high, 4), spectral_norm),
            nn.SiLU(),  # swish, as the official code
            sn(_conv(c_high, c_high, 1), spectral_norm),
            nn.Sigmoid(),
        )

    def forward(self, x_low: Tensor, x_high: Tensor) -> Tensor:
        return x_high * self.gate(x_low)  # (B, C_high, H, W) * (B, C_high, 1, 1)


def _up_block(c_in: int, c_out: int, convs: int, spectral_norm: bool) -> nn.Sequential:
    """Nearest x2, then ``convs`` x (3x3 conv to 2 c_out, batch norm, GLU): the GLU halves the
    channels back to c_out (the official UpBlock has one conv, UpBlockComp two)."""
    layers: list[nn.Module] = [nn.Upsample(scale_factor=2.0, mode="nearest")]
    for i in range(convs):
        layers += [
            sn(_conv(c_in if i == 0 else c_out, 2 * c_out, 3, padding=1), spectral_norm),
            nn.BatchNorm2d(2 * c_out),
            nn.GLU(dim=1),
        ]
    return nn.Sequential(*layers)


class FastGANGenerator(nn.Module):
    """G(z, y=None) -> (B, channels, height, width) in [-1, 1].

    ``widths``: k + 1 entries from the (h0, w0) basis to the full image (``fastgan_widths``).
    ``sle_gap``: how many stages an SLE jumps (default min(4, k): the paper's 16x). With
    ``num_classes`` > 0 a class embedding of ``embed_dim`` (default ``z_dim``) joins z.
    ``spectral_norm``: on every conv, as the official code (the tasks run its power iteration).
    """

    def __init__(
        self,
        z_dim: int = 128,
        channels: int = 3,
        height: int = 64,
        width: int = 64,
        widths: list[int] | None = None,
        sle_gap: int | None = None,
        num_classes: int = 0,
        embed_dim: int | None = None,
        spectral_norm: bool = True,
    ) -> None:
        super().__init__()
        k, h0, w0 = fastgan_grid(height, width)
        widths = fastgan_widths(height, width)[0] if widths is None else list(widths)
        if len(widths) != k + 1 or min(widths) < 1:
            raise GanforgeError(
                f"FastGAN's {height}x{width} generator has {k + 1} stages from a {h0}x{w0} basis, "
                f"so widths needs {k + 1} positive entries, got {widths}"
            )
        gap = min(4, k) if sle_gap is None else sle_gap
        if not 1 <= gap <= k:
            raise GanforgeError(f"sle_gap must be in 1..{k} for {height}x{width}, got {gap}")
        self.z_dim, self.num_classes, self.basis = z_dim, num_classes, (h0, w0)
        self.sle_gap = gap
        e = (embed_dim or z_dim) if num_classes > 0 else 0
        self.embed = nn.Embedding(num_classes, e) if num_classes > 0 else None
        # The official 4x4 transposed conv of a 1x1 input is a linear map to (2 C0, 4, 4).
        self.init = sn(nn.Linear(z_dim + e, 2 * widths[0] * h0 * w0, bias=False), spectral_norm)
        self.init_norm = nn.Sequential(nn.BatchNorm2d(2 * widths[0]), nn.GLU(dim=1))
        # Up-block i (to stage i) has two convs when i is odd: 8 px (i = 1) is a two-conv block.
        self.ups = nn.ModuleList(
            _up_block(widths[i - 1], widths[i], 2 if i % 2 else 1, spectral_norm)
            for i in range(1, k + 1)
        )
        # SLE: stage i - gap gates stage i, for every i >= gap (64 px, gap 4: 4x4 -> 64x64).
        self.sle = nn.ModuleDict(
            {
                str(i): SkipLayerExcitation(widths[i - gap], widths[i], spectral_norm)
                for i in range(gap, k + 1)
            }
        )
        self.to_image = sn(_conv(widths[-1], channels, 3, padding=1), spectral_norm)
        _init_(self)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        h = z.flatten(1)  # (B, z_dim)
        if self.embed is not None:
            if y is None:
                raise ValueError("this generator is class-conditional: pass labels y")
            h = torch.cat([h, self.embed(y)], dim=1)  # (B, z_dim + embed_dim)
        h0, w0 = self.basis
        h = self.init_norm(self.init(h).view(h.shape[0], -1, h0, w0))  # (B, widths[0], h0, w0)
        feats = [h]  # every stage's output: the SLE sources
        for i, up in enumerate(self.ups, start=1):
            h = up(h)  # (B, widths[i], h0 * 2^i, w0 * 2^i)
            if i >= self.sle_gap:
                h = self.sle[str(i)](feats[i - self.sle_gap], h)  # gated by stage i - gap
            feats.append(h)
        return torch.tanh(self.to_image(h))  # (B, C, H, W)


class DownBlock(nn.Module):
    """The official DownBlockComp: the mean of a 4x4 stride-2 conv -> 3x3 conv branch and an
    average-pool -> 1x1 conv shortcut, each conv followed by batch norm and leaky ReLU 0.2."""

    def __init__(self, c_in: int, c_out: int, spectral_norm: bool = True) -> None:
        super().__init__()
        self.main = nn.Sequential(
            sn(_conv(c_in, c_out, 4, stride=2, padding=1), spectral_norm),
            nn.BatchNorm2d(c_out),
            nn.LeakyReLU(LRELU_SLOPE),
            sn(_conv(c_out, c_out, 3, padding=1), spectral_norm),
            nn.BatchNorm2d(c_out),
            nn.LeakyReLU(LRELU_SLOPE),
        )
        self.direct = nn.Sequential(
            nn.AvgPool2d(2, 2),
            sn(_conv(c_in, c_out, 1), spectral_norm),
            nn.BatchNorm2d(c_out),
            nn.LeakyReLU(LRELU_SLOPE),
        )

    def forward(self, x: Tensor) -> Tensor:
        return (self.main(x) + self.direct(x)) / 2  # (B, c_out, H/2, W/2)


class SimpleDecoder(nn.Module):
    """The official SimpleDecoder: ``ups`` x (nearest x2, 3x3 conv to 2C, batch norm, GLU), then a
    3x3 conv to the image channels and tanh; the width halves at each step (at least 8)."""

    def __init__(self, c_in: int, channels: int, width: int, ups: int, spectral_norm: bool) -> None:
        super().__init__()
        blocks, c = [], c_in
        for i in range(ups):
            c_out = max(8, width >> i)
            blocks.append(_up_block(c, c_out, 1, spectral_norm))
            c = c_out
        self.blocks = nn.Sequential(*blocks)
        self.to_image = sn(_conv(c, channels, 3, padding=1), spectral_norm)

    def forward(self, h: Tensor) -> Tensor:
        return torch.tanh(self.to_image(self.blocks(h)))  # (B, C, h * 2^ups, w * 2^ups)


def quadrants(x: Tensor) -> Tensor:
    """(B, C, 2h, 2w) -> (B, 4, C, h, w): top-left, top-right, bottom-left, bottom-right."""
    b, c, hh, ww = x.shape
    q = x.view(b, c, 2, hh // 2, 2, ww // 2).permute(0, 2, 4, 1, 3, 5)  # (B, 2, 2, C, h, w)
    return q.reshape(b, 4, c, hh // 2, ww // 2)


@dataclass
class DiscriminatorReconstruction:
    """What ``FastGANDiscriminator(x, reconstruct=True)`` returns.

    ``logits`` (B, P) as ``D(x)``; ``recons`` and ``targets`` pair up: the whole image at low
    resolution and one quadrant, each (B, C, r_h, r_w); targets are cut from D's input and
    detached; ``quadrant`` (B,) says which (0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right).
    """

    logits: Tensor
    recons: tuple[Tensor, Tensor]
    targets: tuple[Tensor, Tensor]
    quadrant: Tensor


class FastGANDiscriminator(nn.Module):
    """D(x, y=None) -> (B, P) patch logits; with ``reconstruct=True`` a DiscriminatorReconstruction.

    ``widths``: k - 1 entries from D's first feature map (H/2, a 4x4 stride-2 conv from the image,
    as the official 512 and 1024 px layouts) to its logit grid (2 h0, 2 w0): see
    ``fastgan_widths``. ``decoder_width``: the decoders' first width. ``recon_ups``: the decoders'
    x2 steps (default min(2, k - 2): 64 px reconstructs the whole image at 32x32 and a quadrant at
    its own 32x32). With ``num_classes`` > 0 each patch logit adds the projection
    <phi(x), embed(y)> (Miyato & Koyama 2018). ``spectral_norm``: on every conv, as the official.
    """

    def __init__(
        self,
        channels: int = 3,
        height: int = 64,
        width: int = 64,
        widths: list[int] | None = None,
        decoder_width: int = 32,
        recon_ups: int | None = None,
        num_classes: int = 0,
        embed_dim: int | None = None,
        spectral_norm: bool = True,
    ) -> None:
        super().__init__()
        k, h0, w0 = fastgan_grid(height, width)
        widths = fastgan_widths(height, width)[1] if widths is None else list(widths)
        if len(widths) != k - 1 or min(widths) < 1:
            raise GanforgeError(
                f"FastGAN's {height}x{width} discriminator goes from {height // 2}x{width // 2} to "
                f"a {2 * h0}x{2 * w0} grid in {k - 1} stages, so widths needs {k - 1} positive "
                f"entries, got {widths}"
            )
        ups = min(2, k - 2) if recon_ups is None else recon_ups
        if ups < 0:
            raise GanforgeError(f"recon_ups must be >= 0, got {ups}")
        self.num_classes, self.grid = num_classes, (2 * h0, 2 * w0)
        self.from_image = nn.Sequential(
            sn(_conv(channels, widths[0], 4, stride=2, padding=1), spectral_norm),
            nn.LeakyReLU(LRELU_SLOPE),
        )
        self.downs = nn.ModuleList(
            DownBlock(widths[i], widths[i + 1], spectral_norm) for i in range(k - 2)
        )
        # SLE from the first feature map to the grid when they are >= 2 stages apart (official:
        # three SLEs 8x apart at 256-1024 px; at 64 px 32x32 gates 8x8).
        self.sle_gap = min(3, k - 2)
        self.sle = (
            SkipLayerExcitation(widths[0], widths[-1], spectral_norm) if self.sle_gap >= 2 else None
        )
        c = widths[-1]
        self.head = nn.Sequential(
            sn(_conv(c, c, 1), spectral_norm), nn.BatchNorm2d(c), nn.LeakyReLU(LRELU_SLOPE)
        )
        self.to_logits = sn(_conv(c, 1, 4), spectral_norm)  # (2 h0 - 3) x (2 w0 - 3) patches
        e = (embed_dim or c) if num_classes > 0 else 0
        self.to_phi = sn(_conv(c, e, 4), spectral_norm) if num_classes > 0 else None
        self.embed = nn.Embedding(num_classes, e) if num_classes > 0 else None
        # Whole image from the (2 h0, 2 w0) grid; a quadrant from half of the (4 h0, 4 w0) grid.
        self.decode_whole = SimpleDecoder(c, channels, decoder_width, ups, spectral_norm)
        self.decode_part = SimpleDecoder(widths[-2], channels, decoder_width, ups, spectral_norm)
        _init_(self)

    @overload
    def forward(
        self,
        x: Tensor,
        y: Tensor | None = None,
        reconstruct: Literal[False] = False,
        gen: torch.Generator | None = None,
    ) -> Tensor: ...

    @overload
    def forward(
        self,
        x: Tensor,
        y: Tensor | None = None,
        *,
        reconstruct: Literal[True],
        gen: torch.Generator | None = None,
    ) -> DiscriminatorReconstruction: ...

    def forward(
        self,
        x: Tensor,
        y: Tensor | None = None,
        reconstruct: bool = False,
        gen: torch.Generator | None = None,
    ) -> Tensor | DiscriminatorReconstruction:
        """Patch logits of ``x`` (B, C, H, W); ``reconstruct`` (on real images, in the D step):
        also the two decoders' outputs, a quadrant per sample drawn from ``gen``.

        One call (not a second method) so that wrappers that hook ``forward`` (DDP, compile)
        see the decoders' parameters used.
        """
        first = self.from_image(x)  # (B, widths[0], H/2, W/2)
        feats = [first]
        for down in self.downs:
            feats.append(down(feats[-1]))  # halves H and W until (B, widths[-1], 2 h0, 2 w0)
        grid = feats[-1]
        if self.sle is not None:
            grid = self.sle(first, grid)
        h = self.head(grid)  # (B, C, 2 h0, 2 w0)
        logits = self.to_logits(h)  # (B, 1, 2 h0 - 3, 2 w0 - 3)
        if self.embed is not None:
            if y is None:
                raise ValueError("this discriminator is class-conditional: pass labels y")
            phi = self.to_phi(h)  # (B, E, 2 h0 - 3, 2 w0 - 3)
            logits = logits + (phi * self.embed(y)[:, :, None, None]).sum(1, keepdim=True)
        logits = logits.flatten(1)  # (B, P)
        if not reconstruct:
            return logits
        b = x.shape[0]
        q = torch.randint(0, 4, (b,), generator=gen, device=x.device)  # (B,)
        rows = torch.arange(b, device=x.device)
        rec_whole = self.decode_whole(grid)  # (B, C, r_h, r_w)
        rec_part = self.decode_part(quadrants(feats[-2])[rows, q])  # from (B, C', 2 h0, 2 w0)
        size = rec_whole.shape[-2:]
        target = x.detach()
        # Area averaging: the exact box filter for the integer factors between the sizes.
        whole = F.adaptive_avg_pool2d(target, size)
        part = F.adaptive_avg_pool2d(quadrants(target)[rows, q], size)
        return DiscriminatorReconstruction(logits, (rec_whole, rec_part), (whole, part), q)
