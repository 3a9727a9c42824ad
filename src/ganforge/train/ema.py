"""Exponential moving average of generator weights (Yazici et al. 2019, "The Unusual Effectiveness
of Averaging in GAN Training"); the averaged copy is what sampling and evaluation use."""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    def __init__(self, model: nn.Module) -> None:
        self.model = copy.deepcopy(model).eval().requires_grad_(False)
        self._src = list(model.parameters())
        self._dst = list(self.model.parameters())

    @torch.no_grad()
    def update(self, model: nn.Module, beta: float) -> None:
        # ema <- src + beta (ema - src), i.e. lerp towards src by (1 - beta), in one fused call.
        torch._foreach_lerp_(self._dst, self._src, 1.0 - beta)
        # Buffers (batch-norm statistics, spectral-norm vectors) are copied, not averaged.
        for b_dst, b_src in zip(self.model.buffers(), model.buffers()):
            b_dst.copy_(b_src)
