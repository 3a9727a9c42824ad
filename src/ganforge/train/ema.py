"""Exponential moving average of generator weights (Yazici et al. 2019, "The Unusual Effectiveness
of Averaging in GAN Training"); the averaged copy is what sampling and evaluation use."""

from __future__ import annotations

import copy

import torch
from torch import Tensor, nn


class EMA:
    def __init__(self, model: nn.Module) -> None:
        self.model = copy.deepcopy(model).eval().requires_grad_(False)
        self._src = list(model.parameters())
        self._dst = list(self.model.parameters())
        self._src_buffers = list(model.buffers())
        self._dst_buffers = list(self.model.buffers())

    @torch.no_grad()
    def update(self, beta: float | Tensor) -> None:
        """ema <- ema + (1 - beta) (src - ema), in three multi-tensor calls. ``beta`` may be a
        device scalar: inside a CUDA graph it changes per replay, and reading it on the host
        (what a lerp with a scalar weight would do) is not allowed there. Buffers (batch-norm
        statistics, spectral-norm vectors) are copied, not averaged."""
        step = torch._foreach_sub(self._src, self._dst)
        torch._foreach_mul_(step, 1.0 - beta)
        torch._foreach_add_(self._dst, step)
        if self._dst_buffers:
            torch._foreach_copy_(self._dst_buffers, self._src_buffers)
