"""Gradient penalty, R1 and R2 against autograd and closed forms; weight clipping."""

import pytest
import torch
from torch import nn

from ganforge.losses.penalties import (
    clip_weights_,
    gradient_penalty,
    r1_penalty,
    r1_r2_penalty,
    r2_penalty,
)


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


def _quadratic_critic(w: torch.Tensor):
    # D(x) = sum(w * x^2) per sample: grad_x D = 2 w x, so ||grad||^2 = sum(4 w^2 x^2).
    return lambda x: (w * x**2).flatten(1).sum(1)


def test_r2_and_r1_r2_match_the_closed_form_of_a_quadratic_critic():
    torch.manual_seed(0)
    w = torch.randn(3, 2, 2, requires_grad=True)
    D = _quadratic_critic(w)
    real = torch.randn(5, 3, 2, 2).requires_grad_(True)
    fake = torch.randn(5, 3, 2, 2).requires_grad_(True)
    real_logits, fake_logits = D(real), D(fake)

    def closed(x):
        return (4 * w.detach() ** 2 * x.detach() ** 2).flatten(1).sum(1).mean()

    r2 = r2_penalty(fake_logits, fake)
    assert r2.item() == pytest.approx(closed(fake).item(), rel=1e-5)
    both = r1_r2_penalty(real_logits, real, fake_logits, fake)
    assert both.item() == pytest.approx((closed(real) + closed(fake)).item(), rel=1e-5)
    # The penalty is differentiable in D's weights: d/dw mean sum(4 w^2 x^2) = mean 8 w x^2.
    both.backward()
    want = (8 * w.detach() * (real.detach() ** 2 + fake.detach() ** 2)).mean(0)
    assert torch.allclose(w.grad, want, rtol=1e-5)


def test_r2_is_r1_on_fakes_and_needs_inputs_that_require_grad():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 8), nn.Softplus(), nn.Linear(8, 1))
    x = torch.randn(6, 3, requires_grad=True)
    logits = net(x).squeeze(1)
    assert r2_penalty(logits, x).item() == pytest.approx(r1_penalty(logits, x).item(), rel=1e-6)
    plain = torch.randn(6, 3)
    with pytest.raises(ValueError, match="fake must require grad"):
        r2_penalty(net(plain).squeeze(1), plain)
    with pytest.raises(ValueError, match="real must require grad"):
        r1_r2_penalty(net(plain).squeeze(1), plain, logits, x)
