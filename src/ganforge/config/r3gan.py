"""The ``r3gan`` section: settings of the modern GAN (``model.task=r3gan``).

R3GAN (Huang, Gokaslan, Kuleshov & Tompkin 2024, arXiv 2501.05441): a ResNet of inverted
bottlenecks without normalisation, trained with the relativistic pairing loss plus R1 and R2.
Learning rate, Adam beta2, gamma, the EMA half-life and the augmentation probability each move
from a start to an end value along a half cosine over ``burnin_images`` (the official code's
burn-in, ganforge/tasks/burnin.py), then stay at the end value. Each schedule is a
[start, end] pair. The networks: ganforge/models/r3gan.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ganforge.config.checks import number
from ganforge.errors import GanforgeError


@dataclass
class R3GANConfig:
    widths: list[int] = field(default_factory=list)
    """Channels per stage, from the basis (4x4, or 7x7 at 28 px) up to the full image, for G and
    (mirrored) D; empty: model.g_width / model.d_width at full resolution, doubling per stage
    down to the basis, at most max_width."""
    max_width: int = 256
    """Widest stage when widths is empty."""
    blocks: int = 1
    """Residual blocks per stage (the official presets use 2)."""
    group_width: int = 16
    """Channels per group of the grouped 3x3 convolutions (cardinality = width * expansion /
    group_width)."""
    expansion: int = 2
    """Inverted-bottleneck expansion of each block."""
    burnin_images: int = 2_000_000
    """Length of the cosine burn-in of every schedule below, in images (official: 20M)."""
    lr: list[float] = field(default_factory=lambda: [2e-4, 5e-5])
    """Learning rate of G and D, [start, end] of the burn-in."""
    beta2: list[float] = field(default_factory=lambda: [0.9, 0.99])
    """Adam beta2, [start, end] (beta1 is g_optim.betas[0] / d_optim.betas[0]; official 0)."""
    gamma: list[float] = field(default_factory=lambda: [0.05, 0.005])
    """Weight gamma of gamma / 2 * (R1 + R2), [start, end]."""
    ema_halflife: list[float] = field(default_factory=lambda: [0.0, 500_000.0])
    """EMA half-life of G in images, [start, end] (train.ema_halflife must be > 0 for an EMA)."""
    aug_p: list[float] = field(default_factory=lambda: [0.0, 0.0])
    """Augmentation probability, [start, end]: used with augment.policy=ada and
    augment.ada_adaptive=false (R3GAN's fixed schedule instead of ADA's feedback)."""
    reg_every: int = 1
    """Apply R1 + R2 every N discriminator steps, weighted by N (lazy regularisation, StyleGAN2);
    1, the paper's, every step."""

    def __post_init__(self) -> None:
        if any(not 1 <= w <= 8192 for w in self.widths) or len(self.widths) > 12:
            raise GanforgeError(
                f"r3gan.widths={self.widths} must list at most 12 widths, each in [1, 8192]"
            )
        number(self.max_width, "r3gan.max_width", 1, 8192)
        number(self.blocks, "r3gan.blocks", 1, 16)
        number(self.group_width, "r3gan.group_width", 1, 8192)
        number(self.expansion, "r3gan.expansion", 1, 16)
        number(self.burnin_images, "r3gan.burnin_images", 1, 10**13)
        number(self.reg_every, "r3gan.reg_every", 1, 10**6)
        bounds = {
            "lr": (0, 10, True),
            "beta2": (0, 1, False),
            "gamma": (0, 1e6, False),
            "ema_halflife": (0, 1e13, False),
            "aug_p": (0, 1, False),
        }
        for key, (lo, hi, lo_open) in bounds.items():
            pair = getattr(self, key)
            if len(pair) != 2:
                raise GanforgeError(f"r3gan.{key}={pair} must be [start, end]")
            for v in pair:
                number(v, f"r3gan.{key}", lo, hi, lo_open=lo_open, hi_open=key == "beta2")
