"""Networks of the image-to-image tasks: an explicit table from ``i2i.generator`` to a module.

    generator    module                                   used by default by
    unet         U-Net (models/unet.py)                   pix2pix
    resnet       ResNet generator (models/cyclegan.py)    CycleGAN (G and F)
    srresnet     SRResNet (models/srresnet.py)            SRGAN

The discriminators are each task's own (PatchGAN, the SRGAN discriminator). Every generator is a
plain ``nn.Module`` called as ``G(x) -> y`` on (B, C, H, W) tensors in [-1, 1], with a
``multiple`` attribute: input sides must be divisible by it (``translate`` pads). That one
signature is what inference and export rely on.
"""

from __future__ import annotations

import math

from torch import nn

from ganforge.config import Config
from ganforge.models.cyclegan import ResnetGenerator
from ganforge.models.srresnet import SRResNet
from ganforge.models.unet import UNetGenerator


def unet_depth(cfg: Config) -> int:
    """U-Net levels: i2i.unet_depth, or log2 of the crop (the paper's 1x1 bottleneck)."""
    return cfg.i2i.unet_depth or int(math.log2(cfg.data.resolution))


def g_blocks(cfg: Config, generator: str) -> int:
    """Residual blocks: i2i.g_blocks, or the paper's (SRResNet 16; CycleGAN 9, or 6 below 256)."""
    if cfg.i2i.g_blocks:
        return cfg.i2i.g_blocks
    if generator == "srresnet":
        return 16
    return 9 if cfg.data.resolution >= 256 else 6


def build_i2i_generator(cfg: Config, generator: str, norm: str) -> nn.Module:
    """The ``generator`` kind (unet | resnet | srresnet) with ``norm`` (batch | instance)."""
    c, m = cfg.data.channels, cfg.model
    if generator == "unet":
        return UNetGenerator(c, c, m.g_width, unet_depth(cfg), norm, cfg.i2i.dropout)
    if generator == "resnet":
        return ResnetGenerator(c, c, m.g_width, g_blocks(cfg, generator), norm)
    return SRResNet(c, c, m.g_width, g_blocks(cfg, generator), cfg.i2i.scale)
