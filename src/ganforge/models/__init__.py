"""Generator and discriminator construction from a Config: an explicit registry, no string magic.

Every generator is called as ``G(z, y=None) -> (B, C, H, W)`` in [-1, 1] (or (B, 2) for toys) and
has a ``z_dim`` attribute; every discriminator as ``D(x, y=None) -> (B,)`` logits.
"""

from __future__ import annotations

from torch import nn

from ganforge.config import Config
from ganforge.models.dcgan import DCGANDiscriminator, DCGANGenerator
from ganforge.models.mlp import MLPDiscriminator, MLPGenerator
from ganforge.models.projected import projected_discriminator
from ganforge.models.resnet import ResNetDiscriminator, ResNetGenerator


def data_shape(cfg: Config) -> tuple[int, ...]:
    """One sample's shape: (C, H, W) for images, (2,) for the toy points."""
    return (2,) if cfg.data.is_toy else (cfg.data.channels, *cfg.data.size)


def build_generator(cfg: Config, num_classes: int = 0) -> nn.Module:
    m, shape = cfg.model, data_shape(cfg)
    k = num_classes if m.conditional != "none" else 0
    if m.arch in ("mlp", "toy"):
        return MLPGenerator(m.z_dim, m.g_hidden, shape, k, m.embed_dim, tanh=m.arch == "mlp")
    if m.arch == "dcgan":
        return DCGANGenerator(m.z_dim, shape[0], shape[1], m.g_width, k, m.conditional, m.embed_dim)
    return ResNetGenerator(m.z_dim, shape[0], m.g_width, k, m.conditional, m.embed_dim)


def build_discriminator(cfg: Config, num_classes: int = 0) -> nn.Module:
    m, shape = cfg.model, data_shape(cfg)
    k = num_classes if m.conditional != "none" else 0
    if m.arch in ("mlp", "toy"):
        return MLPDiscriminator(shape, m.d_hidden, k, m.embed_dim, m.d_dropout, m.spectral_norm)
    if m.arch == "dcgan":
        return DCGANDiscriminator(
            shape[0], shape[1], m.d_width, m.d_norm, m.spectral_norm, k, m.conditional
        )
    return ResNetDiscriminator(shape[0], m.d_width, m.spectral_norm, k, m.conditional)


def build_projected_discriminator(cfg: Config, num_classes: int = 0) -> nn.Module:
    """The projected discriminator of ``cfg`` (``model.discriminator=projected``, the ``projected``
    section; Sauer et al. 2021) on the shipped EfficientNet-Lite0, for the data's shape: one-line
    GanforgeError when the wheel is missing or the images are too small for it."""
    p, (h, w) = cfg.projected, cfg.data.size
    k = num_classes if cfg.model.conditional != "none" else 0
    return projected_discriminator(
        "lite0",
        cfg.data.channels,
        h,
        w,
        resize_to=p.resize_to or None,
        num_scales=p.num_scales,
        ccm_channels=p.ccm_channels,
        alpha_width=p.alpha_width,
        background=p.background,
        num_classes=k,
        embed_dim=p.embed_dim,
    )
