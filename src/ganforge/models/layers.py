"""Small building blocks: optional spectral norm, the DCGAN weight init, conv-net norms."""

from __future__ import annotations

from torch import nn
from torch.nn.utils import parametrize

from ganforge.models.spectral_norm import spectral_norm


def sn(module: nn.Module, enabled: bool) -> nn.Module:
    """Spectral normalisation (Miyato et al. 2018) of a layer's weight; the tasks run one power
    iteration per update (models/spectral_norm.py)."""
    return spectral_norm(module) if enabled else module


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


def _weight(m: nn.Module) -> nn.Parameter:
    # Under a parametrization (spectral norm) m.weight is computed on each access (W / sigma(W)):
    # writing into it would change a temporary; the trained parameter is the original W.
    if parametrize.is_parametrized(m, "weight"):
        return m.parametrizations.weight.original
    return m.weight


def dcgan_init_(module: nn.Module) -> None:
    """Radford et al. 2016, section 4: all weights from N(0, 0.02); norm scales from N(1, 0.02).

    Call it before :func:`sn` wraps the layers: spectral norm starts its power iteration (15 steps)
    from the weight it is given. On layers already wrapped the original weight is still drawn
    afresh, and the singular-vector estimate catches up by one iteration per training step.
    """
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(_weight(m), 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)) and m.weight is not None:
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
