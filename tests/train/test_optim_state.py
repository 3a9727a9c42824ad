"""Optimizer state in checkpoints: portable across devices and runtimes, loaded in each
parameter's layout with this process's implementation choices."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ganforge.train.optim_state import load_optimizer, portable


def _trained_adam(**kind):
    torch.manual_seed(0)
    net = nn.Conv2d(3, 8, 3).to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, **kind)
    net(torch.randn(2, 3, 8, 8)).sum().backward()
    opt.step()
    return net, opt


def test_moments_take_their_parameters_layout_and_the_implementation_stays():
    net, opt = _trained_adam(foreach=True)
    state = portable(opt.state_dict())
    # A checkpoint stores dense tensors (safetensors): make the moments contiguous, as loading does.
    for st in state["state"].values():
        st["exp_avg"] = st["exp_avg"].contiguous()
    state["param_groups"][0]["foreach"] = False  # saved by another implementation
    _, fresh = _trained_adam(foreach=True)
    load_optimizer(fresh, state)
    w = fresh.param_groups[0]["params"][0]
    assert w.dim() == 4 and fresh.state[w]["exp_avg"].stride() == w.stride()
    assert torch.equal(
        fresh.state[w]["exp_avg"], opt.state[opt.param_groups[0]["params"][0]]["exp_avg"]
    )
    assert fresh.param_groups[0]["foreach"] is True
    assert fresh.state[w]["step"].device.type == "cpu"


def test_portable_state_has_float_learning_rates_and_no_graph_flag():
    _, opt = _trained_adam(foreach=True)
    opt.param_groups[0]["lr"] = torch.tensor(5e-4)
    opt.param_groups[0]["capturable"] = True
    groups = portable(opt.state_dict())["param_groups"]
    assert groups[0]["lr"] == pytest.approx(5e-4) and isinstance(groups[0]["lr"], float)
    assert groups[0]["capturable"] is False
    assert opt.param_groups[0]["capturable"] is True  # the live optimizer is left alone
