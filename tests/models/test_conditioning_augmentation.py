"""models/conditioning_augmentation.py: StackGAN's CA (Zhang et al. 2017)."""

import torch

from ganforge.models.conditioning_augmentation import ConditioningAugmentation


def test_mu_and_logvar_come_from_a_gated_linear_layer_and_c_is_reparameterised():
    torch.manual_seed(0)
    ca = ConditioningAugmentation(t_dim=6, c_dim=3)
    t = torch.randn(4, 6)
    out = ca(t, generator=torch.Generator().manual_seed(1))
    assert out.c.shape == out.mu.shape == out.logvar.shape == (4, 3)
    h = ca.fc(t)
    glu = h[:, :6] * torch.sigmoid(h[:, 6:])
    torch.testing.assert_close(out.mu, glu[:, :3])
    torch.testing.assert_close(out.logvar, glu[:, 3:])
    eps = torch.randn(4, 3, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(out.c, out.mu + eps * torch.exp(0.5 * out.logvar))


def test_without_sampling_the_condition_is_the_mean():
    ca = ConditioningAugmentation(t_dim=2, c_dim=2)
    t = torch.randn(3, 2)
    out = ca(t, sample=False)
    assert torch.equal(out.c, out.mu)


def test_samples_spread_with_sigma():
    torch.manual_seed(0)
    ca = ConditioningAugmentation(t_dim=2, c_dim=1)
    with torch.no_grad():
        ca.fc.weight.zero_()
        ca.fc.bias.copy_(torch.tensor([0.5, 2 * torch.log(torch.tensor(2.0)), 20.0, 20.0]))
    out = ca(torch.zeros(20_000, 2))  # GLU gate ~1: mu = 0.5, logvar = 2 log 2, sigma = 2
    assert abs(out.c.mean().item() - 0.5) < 0.05 and abs(out.c.std().item() - 2.0) < 0.05
