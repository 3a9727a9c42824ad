"""Optimizer state across devices and runtimes: what a checkpoint stores, how it loads back."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor


def portable(state: dict[str, Any]) -> dict[str, Any]:
    """An optimizer state dict that loads on any device: learning rates as floats (a CUDA graph
    keeps them as device scalars) and no CUDA-graph flag."""
    groups = [
        {**g, "lr": float(g["lr"]), **({"capturable": False} if "capturable" in g else {})}
        for g in state["param_groups"]
    ]
    return {**state, "param_groups": groups}


_IMPLEMENTATION = ("fused", "foreach", "capturable", "differentiable")


def load_optimizer(opt: torch.optim.Optimizer, state: dict[str, Any]) -> None:
    """``opt.load_state_dict``, keeping this process's implementation choices (fused on CUDA,
    foreach elsewhere), with step counts where that implementation keeps them (on the device for
    fused and capturable ones) and each moment buffer in its parameter's memory layout: fused
    Adam needs channels_last moments for channels_last weights, and a checkpoint stores them dense."""
    mine = [{k: g[k] for k in _IMPLEMENTATION if k in g} for g in opt.param_groups]
    opt.load_state_dict(state)
    for group, impl in zip(opt.param_groups, mine):
        group.update(impl)
        on_device = bool(group.get("fused") or group.get("capturable"))
        for p in group["params"]:
            st = opt.state.get(p, {})
            for k, v in st.items():
                if not isinstance(v, Tensor):
                    continue
                if k == "step":
                    st[k] = v.to(p.device, torch.float32) if on_device else v.cpu()
                elif v.shape == p.shape and v.stride() != p.stride():
                    st[k] = torch.empty_like(p, dtype=v.dtype).copy_(v)
