"""Inpainting generators: they take an image with a hole and the mask, and return the image whole.

- ``GatedGenerator``: Yu, Lin, Yang, Shen, Lu & Huang 2019, "Free-Form Image Inpainting with Gated
  Convolution" (ICCV, arXiv:1806.03589): gated convolution and its network. Every convolution is gated,
  O = phi(W_f I) * sigmoid(W_g I) (phi = ELU), so the network learns per pixel and
  channel how far to trust what it sees, which partial convolution's hard 0/1 mask update cannot.
  An encoder-decoder at 1/4 resolution with dilated convolutions in the middle (rates 2, 4, 8,
  16: a large context at little cost), nearest upsampling + convolution to decode, tanh out.
  Reference: https://github.com/JiahuiYu/generative_inpainting (inpaint_model.py,
  build_inpaint_net; inpaint_ops.py, gen_conv), whose conv emits ``cnum`` channels and gates half
  of them with the other half: our ``width`` is the reference's ``cnum / 2`` (24 for its 48).
  Input: the masked image, a ones channel (it tells zero padding from a black border) and the
  mask, as in the reference. ``stages=2`` is the coarse-to-fine network: the coarse result is
  pasted into the hole and refined by a second network of the same shape. Deviations: the
  refinement stage has only the reference's dilated-convolution branch, not its contextual
  attention branch; it sees the mask and the ones channel as the coarse stage does (the
  reference feeds it the pasted image alone); ``dilations`` are configurable because 16 is
  wider than the 1/4-resolution feature map of a 32 px image; the weights start at a scale that
  keeps the signal through the gates (``GATED_INIT_GAIN``), not at the reference's Glorot scale.
- ``PartialConvUNet``: Liu, Reda, Shih, Wang, Tao & Catanzaro 2018, "Image Inpainting for
  Irregular Holes Using Partial Convolutions" (ECCV, arXiv:1804.07723). Each
  convolution sees only the known pixels and is renormalised by how many it saw,
  x' = W^T (X . M) sum(1) / sum(M) + b where sum(M) > 0, else 0; and the mask is updated, m' = 1
  where sum(M) > 0. A U-Net: 7x7, 5x5, 5x5, then 3x3 stride-2 partial convolutions,
  batch norm on all but the first, ReLU; the decoder upsamples (nearest) and concatenates the
  skip (features and masks, the masks per channel as in NVIDIA's multi-channel form), 3x3 partial
  convolution, batch norm and LeakyReLU 0.2; the last layer sees the input image and mask.
  Reference: https://github.com/NVIDIA/partialconv (models/partialconv2d.py). Deviation: tanh
  out, for images in [-1, 1].

Both are called ``G(image, mask) -> (B, C, H, W)`` in [-1, 1], image (B, C, H, W) in [-1, 1]
(C = 1, 3 or 4), mask (B, 1, H, W) with 1 = missing; the hole's pixels of ``image`` are never
read (they are zeroed first). The output is the network's guess everywhere; ``composite`` keeps
the known pixels. Both have ``multiple`` (the sides they need are multiples of it) and
``context`` (an output pixel depends on input pixels at most this far away along each axis,
computed from the layers by interval arithmetic; ``receptive_field`` = 2 context + 1), which the
tiling of ``models/inpainting_tiling.py`` needs. Neither holds global operations (no attention,
no instance norm), so a tile with ``context`` pixels of margin computes what the whole image
does, in eval mode (batch norm's running statistics).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganforge.models.layers import norm2d

Op = tuple[str, int, int, int, int]
"""A layer as the context arithmetic sees it: ("conv", kernel, stride, dilation, padding) or
("up", factor, 0, 0, 0) for nearest upsampling."""


def _context(paths: Sequence[Sequence[Op]], period: int) -> int:
    """Largest distance, along one axis, from an output pixel to an input pixel it depends on.

    For each path of layers from input to output, walk back from output pixel y: a convolution
    maps the interval [lo, hi] of its output to [s lo - p, s hi - p + (k - 1) d] of its input,
    nearest upsampling by f maps it to [floor(lo / f), floor(hi / f)]. Exact for pixels away from
    the border (where it is an upper bound); the phase of y modulo ``period`` matters, so all
    phases are tried.
    """
    far = 0
    for phase in range(period):
        y = 1000 * period + phase  # far from the border, so no interval goes negative
        for path in paths:
            lo = hi = y
            for kind, a, s, d, p in reversed(path):
                if kind == "conv":
                    lo, hi = s * lo - p, s * hi - p + (a - 1) * d
                else:
                    lo, hi = lo // a, hi // a
            far = max(far, y - lo, hi - y)
    return far


def composite(output: Tensor, image: Tensor, mask: Tensor) -> Tensor:
    """The output in the hole, the image elsewhere: known pixels copied bit for bit (a select,
    not m x + (1 - m) y, which would round them and turn an inf in the output into NaN)."""
    return torch.where(mask.bool(), output, image)  # (B, C, H, W)


# --------------------------------------------------------------------------- gated convolution


class GatedConv2d(nn.Module):
    """O = ELU(W_f I) * sigmoid(W_g I) (Yu et al. 2019): one convolution with 2 c_out
    outputs split into features and gates, as the reference's gen_conv; "same" zero padding."""

    def __init__(self, c_in: int, c_out: int, k: int, stride: int = 1, dilation: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, 2 * c_out, k, stride, dilation * (k - 1) // 2, dilation)
        self.op: Op = ("conv", k, stride, dilation, dilation * (k - 1) // 2)

    def forward(self, x: Tensor) -> Tensor:
        f, g = self.conv(x).chunk(2, dim=1)  # (B, c_out, H', W') each
        return F.elu(f) * torch.sigmoid(g)


class _GatedUp(nn.Module):
    """The reference's gen_deconv: nearest upsampling x2, then a 3x3 gated convolution."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv = GatedConv2d(c_in, c_out, 3)
        self.ops: list[Op] = [("up", 2, 0, 0, 0), self.conv.op]

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class _GatedStage(nn.Module):
    """One encoder-decoder of the reference's stage 1 (conv1 ... conv17), widths in features."""

    def __init__(self, c_in: int, c_out: int, width: int, dilations: Sequence[int]) -> None:
        super().__init__()
        w = width
        layers: list[nn.Module] = [
            GatedConv2d(c_in, w, 5),
            GatedConv2d(w, 2 * w, 3, 2),  # 1/2
            GatedConv2d(2 * w, 2 * w, 3),
            GatedConv2d(2 * w, 4 * w, 3, 2),  # 1/4
            GatedConv2d(4 * w, 4 * w, 3),
            GatedConv2d(4 * w, 4 * w, 3),
            *(GatedConv2d(4 * w, 4 * w, 3, dilation=d) for d in dilations),
            GatedConv2d(4 * w, 4 * w, 3),
            GatedConv2d(4 * w, 4 * w, 3),
            _GatedUp(4 * w, 2 * w),  # 1/2
            GatedConv2d(2 * w, 2 * w, 3),
            _GatedUp(2 * w, w),  # 1
            GatedConv2d(w, max(1, w // 2), 3),
        ]
        self.body = nn.Sequential(*layers)
        self.out = nn.Conv2d(max(1, w // 2), c_out, 3, 1, 1)  # no gate, no activation: then tanh
        self.ops: list[Op] = []
        for layer in layers:
            self.ops += layer.ops if isinstance(layer, _GatedUp) else [layer.op]
        self.ops.append(("conv", 3, 1, 1, 1))

    def forward(self, x: Tensor) -> Tensor:
        return torch.tanh(self.out(self.body(x)))


GATED_INIT_GAIN = math.sqrt(6.0)
"""Weights ~ N(0, gain^2 / fan_in), biases 0. Why: ELU(f) * sigmoid(g) keeps about a sixth of
its input's second moment at initialisation (sigmoid(g)^2 ~ 1/4, ELU(f)^2 a little under f^2), so
PyTorch's default init, or the reference's Glorot init, shrinks the signal by ~2-3x per layer and
leaves the 17-layer stage's output at ~1e-6 of its input: it then learnt slower than the mean
fill in a 75 s CPU check, while this gain keeps activations at std 0.5-0.7 through the stage."""


def _init_gated_(module: nn.Module) -> None:
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            fan_in = m.weight[0].numel()
            nn.init.normal_(m.weight, 0.0, GATED_INIT_GAIN / math.sqrt(fan_in))
            nn.init.zeros_(m.bias)


class GatedGenerator(nn.Module):
    """DeepFill v2's generator (Yu et al. 2019), one stage or coarse-to-fine."""

    multiple = 4  # two stride-2 convolutions per stage

    def __init__(
        self,
        channels: int = 3,
        width: int = 24,
        stages: int = 1,
        dilations: Sequence[int] = (2, 4, 8, 16),
    ) -> None:
        super().__init__()
        if stages not in (1, 2):
            raise ValueError(f"stages must be 1 (coarse) or 2 (coarse-to-fine), got {stages}")
        self.channels = channels
        self.stages = nn.ModuleList(
            _GatedStage(channels + 2, channels, width, dilations) for _ in range(stages)
        )
        _init_gated_(self)
        # Stage 2 reads stage 1's output pixel by pixel: its context adds to stage 1's.
        self.context = _context([[op for s in self.stages for op in s.ops]], self.multiple)

    @property
    def receptive_field(self) -> int:
        return 2 * self.context + 1

    def forward_stages(self, image: Tensor, mask: Tensor) -> list[Tensor]:
        """Every stage's output, coarse first (the reference puts an L1 loss on each)."""
        m = mask.to(image.dtype)  # (B, 1, H, W)
        known = image * (1 - m)  # the hole's pixels are never read
        ones = torch.ones_like(m)
        outs: list[Tensor] = []
        x = known
        for stage in self.stages:
            y = stage(torch.cat([x, ones, m], dim=1))  # (B, C, H, W) in [-1, 1]
            outs.append(y)
            x = y * m + known  # the coarse result pasted into the hole
        return outs

    def forward(self, image: Tensor, mask: Tensor) -> Tensor:
        return self.forward_stages(image, mask)[-1]


# --------------------------------------------------------------------------- partial convolution


class PartialConv2d(nn.Module):
    """Liu et al. 2018: a convolution over the known pixels, renormalised.

    ``forward(x, valid)``: x (B, c_in, H, W); valid (B, c_in or 1, H, W), 1 = known (the paper's
    M; a 1-channel mask stands for all channels). Returns (features (B, c_out, H', W'), the
    updated mask (B, 1, H', W')). sum(1) / sum(M) counts channels and window positions, as
    NVIDIA's multi-channel form; a window with nothing known gives 0 and stays unknown.
    """

    def __init__(self, c_in: int, c_out: int, k: int, stride: int = 1, bias: bool = True) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, k, stride, k // 2, bias=bias)
        self.register_buffer("window", torch.ones(1, 1, k, k), persistent=False)
        self.op: Op = ("conv", k, stride, 1, k // 2)

    def forward(self, x: Tensor, valid: Tensor) -> tuple[Tensor, Tensor]:
        c_in = self.conv.in_channels
        per_channel = c_in if valid.shape[1] == 1 else 1
        counts = F.conv2d(
            valid.sum(dim=1, keepdim=True),
            self.window.to(valid.dtype),
            stride=self.conv.stride,
            padding=self.conv.padding,
        )  # (B, 1, H', W'): known values under each window, per channel of a 1-channel mask
        counts = counts * per_channel
        updated = (counts > 0).to(x.dtype)
        ratio = (c_in * self.window.numel()) / counts.clamp(min=1.0) * updated  # sum(1) / sum(M)
        raw = self.conv(x * valid)
        if self.conv.bias is None:
            return raw * ratio, updated
        b = self.conv.bias.view(1, -1, 1, 1)
        return ((raw - b) * ratio + b) * updated, updated


class _PBlock(nn.Module):
    """Partial convolution, norm, activation; carries the mask along."""

    def __init__(self, pconv: PartialConv2d, norm: nn.Module, act: nn.Module) -> None:
        super().__init__()
        self.pconv, self.norm, self.act = pconv, norm, act

    def forward(self, x: Tensor, valid: Tensor) -> tuple[Tensor, Tensor]:
        y, v = self.pconv(x, valid)
        return self.act(self.norm(y)), v


class PartialConvUNet(nn.Module):
    """Liu et al. 2018's partial-convolution U-Net, ``depth`` stride-2 levels."""

    def __init__(
        self, channels: int = 3, width: int = 64, depth: int = 7, norm: str = "batch"
    ) -> None:
        super().__init__()
        if depth < 2:
            raise ValueError(f"a U-Net needs at least 2 levels, got depth={depth}")
        self.channels, self.depth = channels, depth
        self.multiple = 2**depth
        widths = [width * min(2**i, 8) for i in range(depth)]  # 64, 128, 256, 512, 512, ...
        kernels = [7, 5, 5] + [3] * (depth - 3)
        bias = norm != "batch"  # batch norm's shift makes a bias redundant
        enc, c = [], channels
        for i in range(depth):
            first = i == 0  # the paper has no batch norm on the first layer
            enc.append(
                _PBlock(
                    PartialConv2d(c, widths[i], kernels[i], 2, bias=bias or first),
                    nn.Identity() if first else norm2d(norm, widths[i]),
                    nn.ReLU(),
                )
            )
            c = widths[i]
        dec = []
        for i in range(depth - 1, -1, -1):  # dec[depth-1-i] makes level i from level i + 1
            skip = channels if i == 0 else widths[i - 1]
            out = channels if i == 0 else widths[i - 1]
            last = i == 0
            dec.append(
                _PBlock(
                    PartialConv2d(widths[i] + skip, out, 3, 1, bias=bias or last),
                    nn.Identity() if last else norm2d(norm, out),
                    nn.Tanh() if last else nn.LeakyReLU(0.2),
                )
            )
        self.enc, self.dec = nn.ModuleList(enc), nn.ModuleList(dec)
        self.context = self._context()

    def _context(self) -> int:
        # A path turns from the encoder to the decoder at level j: through the skip of level j
        # (j < depth) or through the bottleneck (j = depth).
        enc = [b.pconv.op for b in self.enc]
        dec = [b.pconv.op for b in self.dec]  # dec[k] makes level depth - 1 - k
        up: Op = ("up", 2, 0, 0, 0)
        paths = []
        for j in range(self.depth + 1):
            path = list(enc[:j])
            levels = range(j - 1, -1, -1)
            if j < self.depth:
                path.append(dec[self.depth - 1 - j])  # the skip enters level j's decoder
            for i in levels:
                path += [up, dec[self.depth - 1 - i]]
            paths.append(path)
        return _context(paths, self.multiple)

    @property
    def receptive_field(self) -> int:
        return 2 * self.context + 1

    def forward(self, image: Tensor, mask: Tensor) -> Tensor:
        valid = 1 - mask.to(image.dtype)  # (B, 1, H, W): the paper's M, 1 = known
        x = image * valid
        skips = [(x, valid)]
        h, v = x, valid
        for block in self.enc:
            h, v = block(h, v)  # (B, w_i, H / 2^(i+1), W / 2^(i+1))
            skips.append((h, v))
        skips.pop()  # the bottleneck is h itself
        for block in self.dec:
            s, sv = skips.pop()
            h = F.interpolate(h, scale_factor=2.0, mode="nearest")
            v = F.interpolate(v, scale_factor=2.0, mode="nearest")
            # Per-channel masks of the concatenation: the upsampled part's, then the skip's.
            cat_valid = torch.cat([v.expand_as(h), sv.expand_as(s)], dim=1)
            h, v = block(torch.cat([h, s], dim=1), cat_valid)
        return h  # (B, C, H, W) in [-1, 1]


GENERATORS: dict[str, type[nn.Module]] = {"gated": GatedGenerator, "partial": PartialConvUNet}
"""Inpainting generators by config name (``model.inpaint_conv`` or the like): explicit."""
