"""R3GAN's cosine burn-in schedules as pure functions of images seen.

Huang et al. 2024, "The GAN is dead; long live the GAN! A Modern GAN Baseline" (arXiv:2501.05441);
the schedules and numbers are those of the official code, brownvc/R3GAN: training/training_loop.py
(``cosine_decay_with_warmup``, applied every step to the five values below) and train.py (the
start / end values and burn-in length of each preset).

Every value moves from its start to its end value along a half cosine over the burn-in, then stays
at the end value:

    v(t) = end + (start - end) * (1 + cos(pi * t / T)) / 2   for t <= T,   v(t) = end after,

t the images seen and T the burn-in length in images. The official presets schedule five values
this way, all over the same T (2e7 images; 2e8 for ImageNet):

- lr: 2e-4 -> 5e-5, for G and D alike;
- gamma, the weight of gamma / 2 * (R1 + R2): decays tenfold (e.g. 0.05 -> 0.005 on CIFAR-10);
- Adam beta2: 0.9 -> 0.99, with beta1 = 0 and eps = 1e-8 throughout;
- EMA half-life in images: 0 -> e.g. 5e6 (CIFAR-10); a half-life h gives the per-step decay
  0.5 ** (batch / h), 0 (no averaging) at h = 0, which is ``train.schedules.ema_beta`` with
  ``rampup=0``: the cosine replaces StyleGAN2-ADA's ramp-up;
- augmentation probability: 0 -> e.g. 0.55 (CIFAR-10), a fixed schedule instead of ADA's feedback.

The official function also takes a linear warm-up and a hold at the start value; no preset uses
them, but ``cosine_schedule`` keeps them with the official semantics.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def cosine_schedule(
    images_seen: int,
    start: float,
    end: float,
    length: int,
    warmup: int = 0,
    warmup_start: float = 0.0,
    hold: int = 0,
) -> float:
    """The value after ``images_seen`` images: start -> end by a half cosine over ``length``.

    With ``warmup`` > 0 the value first rises linearly from ``warmup_start`` to ``start`` over
    ``warmup`` images; with ``hold`` > 0 it then stays at ``start`` for ``hold`` images. The cosine
    fills the rest, so it still reaches ``end`` at ``length`` (as the official function does).
    """
    t = max(images_seen, 0)
    if t >= length:
        return float(end)
    if t < warmup:
        return warmup_start + (start - warmup_start) * t / warmup
    if t <= warmup + hold:
        return float(start)
    span = length - warmup - hold  # > 0 here, since warmup + hold < t < length
    return end + (start - end) * 0.5 * (1.0 + math.cos(math.pi * (t - warmup - hold) / span))


@dataclass(frozen=True)
class BurnIn:
    """The five (start, end) pairs of one R3GAN preset and their common length in images."""

    length: int
    gamma: tuple[float, float]
    ema_halflife: tuple[float, float]
    aug_p: tuple[float, float]
    lr: tuple[float, float] = (2e-4, 5e-5)
    beta2: tuple[float, float] = (0.9, 0.99)

    def at(self, images_seen: int) -> dict[str, float]:
        """Every scheduled value after ``images_seen`` images, keyed by field name."""
        pairs = {
            "lr": self.lr,
            "gamma": self.gamma,
            "beta2": self.beta2,
            "ema_halflife": self.ema_halflife,
            "aug_p": self.aug_p,
        }
        return {k: cosine_schedule(images_seen, s, e, self.length) for k, (s, e) in pairs.items()}


# train.py of brownvc/R3GAN, preset by preset (ema_nimg, aug final value, gamma, decay_nimg).
OFFICIAL_BURNIN: dict[str, BurnIn] = {
    "cifar10": BurnIn(20_000_000, gamma=(0.05, 0.005), ema_halflife=(0, 5e6), aug_p=(0, 0.55)),
    "ffhq-64": BurnIn(20_000_000, gamma=(2.0, 0.2), ema_halflife=(0, 5e5), aug_p=(0, 0.3)),
    "ffhq-256": BurnIn(20_000_000, gamma=(150.0, 15.0), ema_halflife=(0, 5e5), aug_p=(0, 0.3)),
    "imagenet-32": BurnIn(200_000_000, gamma=(0.5, 0.05), ema_halflife=(0, 5e7), aug_p=(0, 0.5)),
    "imagenet-64": BurnIn(200_000_000, gamma=(1.0, 0.1), ema_halflife=(0, 5e7), aug_p=(0, 0.4)),
}
