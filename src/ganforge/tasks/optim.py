"""The optimizers tasks build from an ``OptimConfig``: Adam or RMSprop, fused or multi-tensor."""

from __future__ import annotations

from typing import Any

import torch

from ganforge.config import OptimConfig


def make_optimizer(params: Any, cfg: OptimConfig) -> torch.optim.Optimizer:
    """Adam or RMSprop. Adam on CUDA uses the fused kernel: one launch for all parameters, and a
    GradScaler (fp16) then skips its per-step host sync, since the kernel reads the scale and the
    inf flag on the device. Elsewhere the multi-tensor (foreach) implementation. The learning rate
    set here is the base the Trainer's schedule multiplies (train.lr_schedule)."""
    params = list(params)
    if cfg.name == "adam":
        on_cuda = all(p.is_cuda for p in params)
        kind = {"fused": True} if on_cuda else {"foreach": True}
        opt: torch.optim.Optimizer = torch.optim.Adam(
            params, lr=cfg.lr, betas=tuple(cfg.betas), weight_decay=cfg.weight_decay, **kind
        )
    else:
        opt = torch.optim.RMSprop(params, lr=cfg.lr, weight_decay=cfg.weight_decay, foreach=True)
    return opt
