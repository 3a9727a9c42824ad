"""The reconstruction losses on values small enough to check by hand."""

import torch

from ganforge.losses import reconstruction as R
from ganforge.losses.adversarial import d_lsgan, g_lsgan


def test_l1_and_mse_by_hand():
    fake, target = torch.tensor([0.0, 1.0, -1.0, 0.5]), torch.tensor([1.0, 1.0, 1.0, 0.0])
    assert torch.isclose(R.l1(fake, target), torch.tensor((1 + 0 + 2 + 0.5) / 4))
    assert torch.isclose(R.mse(fake, target), torch.tensor((1 + 0 + 4 + 0.25) / 4))


def test_cycle_and_identity_sum_both_directions():
    a, b = torch.zeros(2, 1, 2, 2), torch.ones(2, 1, 2, 2)
    rec_a, rec_b = torch.full_like(a, 0.5), torch.full_like(b, 0.25)
    # |F(G(a)) - a| = 0.5 everywhere, |G(F(b)) - b| = 0.75 everywhere
    assert torch.isclose(R.cycle(a, rec_a, b, rec_b), torch.tensor(1.25))
    assert torch.isclose(R.identity(a, a, b, b), torch.tensor(0.0))
    assert torch.isclose(R.identity(a, rec_a, b, b), torch.tensor(0.5))


def test_feature_mse_rescales_features_like_srgan():
    phi_fake, phi_real = torch.tensor([12.75, 0.0]), torch.tensor([0.0, 25.5])
    # (1/12.75)^2 * mean(12.75^2, 25.5^2) = mean(1, 4)
    assert torch.isclose(R.feature_mse(phi_fake, phi_real, 1 / 12.75), torch.tensor(2.5))


def test_cyclegan_adversarial_terms_by_hand():
    real, fake = torch.tensor([1.0, 0.0]), torch.tensor([0.5, -0.5])
    # D: 1/2 E(D(y) - 1)^2 + 1/2 E D(G(x))^2 = 1/2 * 0.5 + 1/2 * 0.25
    assert torch.isclose(d_lsgan(real, fake), torch.tensor(0.375))
    # G with i2i.adv_weight = 2: E(D(G(x)) - 1)^2 = (0.25 + 2.25) / 2, Zhu et al.'s form
    assert torch.isclose(2 * g_lsgan(fake), torch.tensor(1.25))
