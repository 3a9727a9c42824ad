"""Small building blocks: optional spectral norm, the DCGAN weight init, conv-net norms."""

from __future__ import annotations

from torch import nn


def sn(module: nn.Module, enabled: bool) -> nn.Module:
    """Spectral normalisation (Miyato et al. 2018) of a layer's weight, one power iteration a step."""
    return nn.utils.parametrizations.spectral_norm(module) if enabled else module


def norm2d(kind: str, channels: int) -> nn.Module:
    """batch | layer (GroupNorm with one group: normalises C, H, W per sample) | instance | none.

    instance: per-sample, per-channel statistics without affine parameters or running statistics,
    as in CycleGAN (Zhu et al. 2017, after Ulyanov et al. 2016), so train and eval modes agree.
    """
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels)
    if kind == "layer":
        return nn.GroupNorm(1, channels)
    return nn.Identity()


def dcgan_init_(module: nn.Module) -> None:
    """Radford et al. 2016, section 4: all weights from N(0, 0.02); norm scales from N(1, 0.02)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)) and m.weight is not None:
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
