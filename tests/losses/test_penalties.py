"""Gradient penalty and R1 against autograd on a tiny network; weight clipping."""

import pytest
import torch
from torch import nn

from ganforge.losses.penalties import clip_weights_, gradient_penalty, r1_penalty


def test_gradient_penalty_matches_linear_critic_closed_form():
    # For D(x) = w.x the gradient is w everywhere, so the penalty is (||w|| - 1)^2 exactly.
    lin = nn.Linear(4, 1, bias=False)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[3.0, 0.0, 4.0, 0.0]]))
    real, fake = torch.randn(8, 4), torch.randn(8, 4)
    gp = gradient_penalty(lambda x: lin(x).squeeze(1), real, fake)
    assert gp.item() == pytest.approx((5.0 - 1.0) ** 2, rel=1e-5)


def test_gradient_penalty_against_autograd_on_tiny_mlp():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    real, fake = torch.randn(5, 3), torch.randn(5, 3)
    gen = torch.Generator().manual_seed(1)
    gp = gradient_penalty(lambda x: net(x).squeeze(1), real, fake, gen)
    eps = torch.rand(5, 1, generator=torch.Generator().manual_seed(1))
    want = 0.0
    for i in range(5):  # one sample at a time, independently of the batched code
        x = (eps[i] * real[i] + (1 - eps[i]) * fake[i]).requires_grad_(True)
        (g,) = torch.autograd.grad(net(x).sum(), x)
        want += (g.norm() - 1) ** 2 / 5
    assert gp.item() == pytest.approx(want.item(), rel=1e-5)
    # It must be differentiable with respect to the critic's weights.
    gp.backward()
    assert net[0].weight.grad is not None and net[0].weight.grad.abs().sum() > 0


def test_r1_against_per_sample_autograd():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 8), nn.Softplus(), nn.Linear(8, 1))
    real = torch.randn(6, 3, requires_grad=True)
    r1 = r1_penalty(net(real).squeeze(1), real)
    want = 0.0
    for i in range(6):
        x = real[i].detach().requires_grad_(True)
        (g,) = torch.autograd.grad(net(x).sum(), x)
        want += g.pow(2).sum() / 6
    assert r1.item() == pytest.approx(want.item(), rel=1e-5)


def test_clip_weights():
    lin = nn.Linear(10, 10)
    with torch.no_grad():
        lin.weight.mul_(100)
    clip_weights_(lin, 0.01)
    assert lin.weight.abs().max().item() <= 0.01 + 1e-9
    assert lin.bias.abs().max().item() <= 0.01 + 1e-9
