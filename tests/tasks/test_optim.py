"""tasks/optim.py: the optimizers an OptimConfig builds (Adam or RMSprop, multi-tensor on CPU)."""

import pytest
import torch
from torch import nn

from ganforge.config import OptimConfig
from ganforge.tasks.optim import make_optimizer


def test_adam_takes_every_setting_and_uses_foreach_on_cpu():
    net = nn.Linear(3, 2)
    opt = make_optimizer(net.parameters(), OptimConfig("adam", 1e-3, [0.0, 0.9], 0.01))
    assert type(opt) is torch.optim.Adam
    group = opt.param_groups[0]
    assert (group["lr"], group["betas"], group["weight_decay"]) == (1e-3, (0.0, 0.9), 0.01)
    assert group["foreach"] is True and not group["fused"]
    assert group["params"] == list(net.parameters())  # a generator is read once, in order


def test_rmsprop_ignores_betas():
    opt = make_optimizer(nn.Linear(3, 2).parameters(), OptimConfig("rmsprop", 5e-5, [0.5, 0.9]))
    assert type(opt) is torch.optim.RMSprop
    group = opt.param_groups[0]
    assert (group["lr"], group["weight_decay"], group["foreach"]) == (5e-5, 0.0, True)
    assert "betas" not in group


@pytest.mark.parametrize("name", ["adam", "rmsprop"])
def test_a_step_moves_the_weights_like_the_plain_optimizer(name):
    torch.manual_seed(0)
    a, b = nn.Linear(4, 3), nn.Linear(4, 3)
    b.load_state_dict(a.state_dict())
    cfg = OptimConfig(name, 1e-2, [0.5, 0.999])
    mine = make_optimizer(a.parameters(), cfg)
    if name == "adam":
        plain = torch.optim.Adam(b.parameters(), lr=1e-2, betas=(0.5, 0.999), foreach=False)
    else:
        plain = torch.optim.RMSprop(b.parameters(), lr=1e-2, foreach=False)
    x = torch.randn(8, 4)
    for net, opt in ((a, mine), (b, plain)):
        for _ in range(3):
            opt.zero_grad()
            net(x).pow(2).sum().backward()
            opt.step()
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p, q)
