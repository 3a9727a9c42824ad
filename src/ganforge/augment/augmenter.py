"""The one object the trainer uses to augment what D sees: DiffAugment, ADA or nothing.

DiffAugment: Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training"
(arXiv 2006.10738). ADA: Karras et al. 2020, "Training Generative Adversarial Networks with
Limited Data" (arXiv 2006.06676). Both papers apply the same augmentation to real and generated
images, in the D step and in the G step, and train G through it.

Usage in a loop (the trainer owns the random generator, on the training device)::

    aug = Augmenter(cfg.augment, device)
    d_real = D(aug(real, gen)); d_fake = D(aug(G(z), gen))
    aug.observe(d_real)          # ADA's r_t and p; no host sync except once per interval
    scalars.update(aug.log_scalars())
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from ganforge.augment.ada import ada_augment
from ganforge.augment.adaptive import AdaptiveP
from ganforge.augment.diffaugment import diff_augment, parse_policy
from ganforge.config.augment import AugmentConfig


class Augmenter:
    """Augment (B, C, H, W) batches in [-1, 1] (C in 1, 3, 4) for D, per ``AugmentConfig``.

    The ADA probability lives in an ``AdaptiveP`` for every policy, so r_t (an overfitting
    signal worth logging whatever the augmentation) is always tracked; p only matters for ADA.
    ``reduce``: see ``AdaptiveP`` (data-parallel runs pass an all-reduce).
    """

    def __init__(
        self,
        cfg: AugmentConfig,
        device: torch.device | str = "cpu",
        reduce: Callable[[Tensor], Tensor] | None = None,
    ) -> None:
        self.cfg = cfg
        self.policy = cfg.policy
        self.ops = parse_policy(cfg.diffaugment)
        self.controller = AdaptiveP(
            target=cfg.ada_target,
            kimg=cfg.ada_kimg,
            interval=cfg.ada_interval,
            p=cfg.ada_p,
            adaptive=cfg.policy == "ada" and cfg.ada_adaptive,
            device=device,
            reduce=reduce,
        )

    @property
    def enabled(self) -> bool:
        """False for policy none: the call is then the identity."""
        return self.policy != "none"

    @property
    def p(self) -> float:
        """ADA's current probability (host copy)."""
        return self.controller.p

    @property
    def p_tensor(self) -> Tensor:
        """ADA's current probability, 0-dim float32 on the device."""
        return self.controller.p_tensor

    def __call__(self, x: Tensor, gen: torch.Generator | None = None) -> Tensor:
        """Augmented copy of ``x`` (same shape, dtype, device), differentiable w.r.t. ``x``.

        ``gen`` must live on ``x``'s device. Policy none, and ADA while p is 0, return ``x`` itself
        and draw nothing.
        """
        if self.policy == "diffaugment":
            return diff_augment(x, self.ops, gen)
        if self.policy == "ada" and self.controller.p > 0:  # host copy: no sync
            return ada_augment(x, self.controller.p_tensor, gen, self.cfg.ada_groups)
        return x

    def observe(self, real_logits: Tensor) -> bool:
        """Feed D's raw outputs on (augmented) reals of one D step; True when an interval ended."""
        return self.controller.observe(real_logits)

    def log_scalars(self) -> dict[str, Tensor]:
        """Device tensors for the training log: aug_rt (last r_t) and, for ADA, aug_p.

        Copies (device-side, no sync): the controller updates its own tensors in place.
        """
        out = {"aug_rt": self.controller.rt.clone()}
        if self.policy == "ada":
            out["aug_p"] = self.controller.p_tensor.clone()
        return out

    def state_dict(self) -> dict[str, Any]:
        """Plain numbers and CPU tensors (checkpoint-ready): p and the r_t accumulator."""
        return self.controller.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Resume: the same p (when adaptive) and the same unfinished interval."""
        self.controller.load_state_dict(state)
