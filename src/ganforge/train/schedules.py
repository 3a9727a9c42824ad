"""Schedules as pure functions of images seen (never of steps, so batch size can change), and
setting an iteration's learning rates and betas from them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor


def lr_factor(kind: str, images_seen: int, total_images: int, start: int = 0) -> float:
    """The learning-rate multiplier after ``images_seen`` images of a run of ``total_images``.

    constant: 1. linear: 1 for the first half, then linearly to 0 (CycleGAN's schedule, Zhu et
    al. 2017, section 7, expressed in images). step: 1, then 0.1 for the second half (SRGAN's
    1e-4 -> 1e-5, Ledig et al. 2017, section 3.2). The halves are those of [start, total]: a phase
    before ``start`` (SRGAN's MSE pre-training of the SRResNet) runs at 1.
    """
    if kind == "constant" or images_seen < start:
        return 1.0
    half = start + (total_images - start) / 2
    if kind == "step":
        return 1.0 if images_seen < half else 0.1
    if images_seen <= half:
        return 1.0
    return max(0.0, 1.0 - (images_seen - half) / max(total_images - half, 1))


def ema_beta(batch_size: int, images_seen: int, halflife: int, rampup: float) -> float:
    """Per-step EMA decay whose half-life is ``halflife`` images (Karras et al. 2020, StyleGAN2-ADA,
    training_loop.py: ema_kimg with ema_rampup). Early on the half-life is capped at ``rampup`` x the
    images seen so far, so the average is not dominated by the random initial weights."""
    if halflife <= 0:
        return 0.0
    h = float(halflife)
    if rampup > 0:
        h = min(h, images_seen * rampup)
    return 0.5 ** (batch_size / max(h, 1e-8))


def set_rates(
    optimizers: Mapping[str, torch.optim.Optimizer],
    base_lr: Mapping[str, list[float]],
    factor: float,
    hyper: Mapping[str, Any] | None,
) -> None:
    """Learning rates (and Adam betas) for the next iteration: the task's scheduled values where
    ``hyper`` (``Task.hyperparameters``) names an optimizer, else each group's base rate times
    ``factor`` (``lr_factor``). A rate held as a device tensor (a CUDA graph reads it there) is
    filled in place."""
    lrs = (hyper or {}).get("lr", {})
    betas = (hyper or {}).get("betas", {})
    for k, opt in optimizers.items():
        for group, base in zip(opt.param_groups, base_lr[k]):
            lr = lrs[k] if k in lrs else base * factor
            if isinstance(group["lr"], Tensor):
                group["lr"].fill_(lr)
            else:
                group["lr"] = lr
            if k in betas and "betas" in group:
                group["betas"] = tuple(betas[k])
