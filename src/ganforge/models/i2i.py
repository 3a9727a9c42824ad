"""Networks of the image-to-image tasks from a Config: an explicit table, like ``models/__init__``.

    task      generator (i2i.generator)                discriminator
    pix2pix   unet (U-Net, models/unet.py)             PatchGAN on [input, output] (2C channels)
    cyclegan  resnet (models/cyclegan.py), G and F     PatchGAN on one image (C channels), D_Y, D_X
    srgan     srresnet (models/srresnet.py)            SRGAN discriminator

Every generator is a plain ``nn.Module`` called as ``G(x) -> y`` on (B, C, H, W) tensors in
[-1, 1], with a ``multiple`` attribute: input sides must be divisible by it (``translate`` pads).
That one signature is what inference and export rely on.
"""

from __future__ import annotations

from torch import nn

from ganforge.config import Config
from ganforge.config_i2i import g_blocks, generator_of, norm_of, unet_depth
from ganforge.models.cyclegan import ResnetGenerator
from ganforge.models.patchgan import PatchDiscriminator
from ganforge.models.srresnet import SRDiscriminator, SRResNet
from ganforge.models.unet import UNetGenerator


def build_i2i_generator(cfg: Config) -> nn.Module:
    c, m, kind = cfg.data.channels, cfg.model, generator_of(cfg)
    if kind == "unet":
        return UNetGenerator(c, c, m.g_width, unet_depth(cfg), norm_of(cfg), cfg.i2i.dropout)
    if kind == "resnet":
        return ResnetGenerator(c, c, m.g_width, g_blocks(cfg), norm_of(cfg))
    return SRResNet(c, c, m.g_width, g_blocks(cfg), cfg.i2i.scale)


def build_i2i_discriminator(cfg: Config) -> nn.Module:
    c, m = cfg.data.channels, cfg.model
    if cfg.model.task == "srgan":
        return SRDiscriminator(c, m.d_width)
    # pix2pix's D is conditional: it judges the input and the output side by side.
    in_ch = 2 * c if cfg.model.task == "pix2pix" else c
    return PatchDiscriminator(in_ch, m.d_width, cfg.i2i.d_layers, norm_of(cfg))
