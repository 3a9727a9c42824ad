"""losses/magp.py: DF-GAN's matching-aware gradient penalty against closed forms and autograd."""

import pytest
import torch
from torch import nn

from ganforge.losses.magp import matching_aware_gp


def test_a_linear_discriminator_has_a_constant_gradient():
    # D(x, e) = <w, x> + <v, e>: ||(grad_x, grad_e)||^6 = (||w||^2 + ||v||^2)^3 for every sample.
    w, v = torch.tensor([[[[1.0, 2.0]]]]), torch.tensor([2.0, 0.0, 1.0])
    x = torch.randn(4, 1, 1, 2, requires_grad=True)
    e = torch.randn(4, 3, requires_grad=True)
    logits = (x * w).flatten(1).sum(1) + e @ v
    assert matching_aware_gp(logits, x, e).item() == pytest.approx((5.0 + 5.0) ** 3)
    assert matching_aware_gp(logits, x, e, p=2).item() == pytest.approx(10.0)


def test_against_per_sample_autograd_and_differentiable_in_the_weights():
    torch.manual_seed(0)
    img_net = nn.Sequential(nn.Flatten(), nn.Linear(12, 5), nn.Tanh())
    head = nn.Linear(5 + 3, 1)

    def D(x, e):
        return head(torch.cat([img_net(x), e], dim=1)).squeeze(1)

    x = torch.randn(6, 3, 2, 2, requires_grad=True)
    e = torch.randn(6, 3, requires_grad=True)
    gp = matching_aware_gp(D(x, e), x, e)
    want = 0.0
    for i in range(6):
        xi = x[i : i + 1].detach().requires_grad_(True)
        ei = e[i : i + 1].detach().requires_grad_(True)
        gx, ge = torch.autograd.grad(D(xi, ei).sum(), (xi, ei))
        want += (gx.pow(2).sum() + ge.pow(2).sum()).sqrt() ** 6 / 6
    assert gp.item() == pytest.approx(want.item(), rel=1e-4)
    gp.backward()
    assert head.weight.grad is not None and head.weight.grad.abs().sum() > 0


def test_a_flat_discriminator_gives_zero_and_finite_gradients():
    w = torch.ones(1, requires_grad=True)
    x = torch.zeros(2, 1, 2, 2, requires_grad=True)
    e = torch.zeros(2, 3, requires_grad=True)
    logits = w * ((x**2).flatten(1).sum(1) + (e**2).sum(1))  # gradient 0 at the origin
    gp = matching_aware_gp(logits, x, e)
    gp.backward()
    assert gp.item() == 0.0 and torch.isfinite(w.grad).all()


def test_inputs_must_require_grad():
    x, e = torch.randn(2, 1, 2, 2), torch.randn(2, 3, requires_grad=True)
    with pytest.raises(ValueError, match="image must require grad"):
        matching_aware_gp(e.sum(1), x, e)
