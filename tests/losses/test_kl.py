"""losses/kl.py: the KL term of conditioning augmentation against a closed form and torch."""

import math

import pytest
import torch
from torch.distributions import Normal, kl_divergence

from ganforge.losses.kl import kl_standard_normal


def test_zero_at_the_standard_normal_and_the_closed_form_elsewhere():
    assert kl_standard_normal(torch.zeros(3, 4), torch.zeros(3, 4)).item() == 0.0
    mu, logvar = torch.full((1, 1), 2.0), torch.full((1, 1), math.log(3.0))
    # 1/2 (mu^2 + sigma^2 - 1 - log sigma^2) = 1/2 (4 + 3 - 1 - log 3)
    assert kl_standard_normal(mu, logvar).item() == pytest.approx(0.5 * (6 - math.log(3.0)))


def test_the_mean_over_elements_of_torch_distributions_kl():
    torch.manual_seed(0)
    mu, logvar = torch.randn(5, 7), torch.randn(5, 7)
    want = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0)).mean()
    assert kl_standard_normal(mu, logvar).item() == pytest.approx(want.item(), rel=1e-5)
