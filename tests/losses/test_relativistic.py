"""RpGAN losses against hand-computed values."""

import math

import pytest
import torch

from ganforge.losses.relativistic import d_rpgan, g_rpgan


def softplus(t: float) -> float:
    return math.log1p(math.exp(t))


def test_losses_on_two_pairs_by_hand():
    real, fake = torch.tensor([1.0, -1.0]), torch.tensor([0.0, 2.0])
    # D: softplus(-(1 - 0)) and softplus(-(-1 - 2)) = softplus(-1), softplus(3).
    d_want = (softplus(-1.0) + softplus(3.0)) / 2
    # G: softplus(-(0 - 1)) and softplus(-(2 + 1)) = softplus(1), softplus(-3).
    g_want = (softplus(1.0) + softplus(-3.0)) / 2
    assert d_want == pytest.approx(1.680925, abs=1e-6)
    assert g_want == pytest.approx(0.680925, abs=1e-6)
    assert d_rpgan(real, fake).item() == pytest.approx(d_want, rel=1e-6)
    assert g_rpgan(real, fake).item() == pytest.approx(g_want, rel=1e-6)


def test_equal_logits_cost_log_2_and_the_losses_differ_by_the_mean_gap():
    x = torch.randn(7)
    assert d_rpgan(x, x).item() == pytest.approx(math.log(2), rel=1e-6)
    real, fake = torch.randn(5), torch.randn(5)
    # softplus(-t) - softplus(t) = -t, so L_D - L_G = -mean(D(x) - D(G(z))).
    gap = (real - fake).mean().item()
    assert (d_rpgan(real, fake) - g_rpgan(real, fake)).item() == pytest.approx(-gap, abs=1e-6)


def test_pairs_are_not_broadcast():
    with pytest.raises(ValueError, match="one to one"):
        d_rpgan(torch.zeros(4), torch.zeros(4, 1))
    with pytest.raises(ValueError, match="one to one"):
        g_rpgan(torch.zeros(4, 1), torch.zeros(4))


def test_gradients_push_the_pair_apart_for_d_and_together_for_g():
    real = torch.tensor([0.5, -0.2], requires_grad=True)
    fake = torch.tensor([0.1, 0.3], requires_grad=True)
    d_rpgan(real, fake).backward()
    # dL_D / dD(x_i) = -sigmoid(-(r_i - f_i)) / B.
    want = -torch.sigmoid(-(real - fake)).detach() / 2
    assert torch.allclose(real.grad, want) and torch.allclose(fake.grad, -want)
    fake.grad = None
    g_rpgan(real.detach(), fake).backward()
    assert torch.allclose(fake.grad, -torch.sigmoid(-(fake - real)).detach() / 2)
