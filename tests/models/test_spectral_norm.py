"""models/spectral_norm.py: W / sigma(W) with an explicit power iteration (Miyato et al. 2018)."""

import pytest
import torch
from torch import nn

from ganforge.config import Config, ModelConfig
from ganforge.models import build_discriminator
from ganforge.models.spectral_norm import power_iteration_, spectral_layers, spectral_norm


def test_spectral_norm_bounds_the_weight():
    cfg = Config(model=ModelConfig(spectral_norm=True, d_norm="none", d_width=8))
    D = build_discriminator(cfg)
    for _ in range(30):  # the trainer runs one power iteration per D update
        power_iteration_(spectral_layers(D))
    conv = D.features[0]
    sigma = torch.linalg.matrix_norm(conv.weight.flatten(1), ord=2).item()
    assert sigma == pytest.approx(1.0, abs=0.05)


def test_power_iteration_runs_only_when_asked_and_converges_to_sigma():
    torch.manual_seed(0)
    layer = spectral_norm(nn.Linear(6, 5))
    (sn, weight), *_ = spectral_layers(nn.Sequential(layer))
    u, v = sn._u.clone(), sn._v.clone()
    for _ in range(3):
        layer(torch.randn(2, 6))  # forward passes, train mode: they only read u and v
    assert torch.equal(sn._u, u) and torch.equal(sn._v, v)
    for _ in range(100):
        power_iteration_([(sn, weight)])
    assert not torch.equal(sn._u, u)
    sigma = torch.linalg.matrix_norm(weight.detach(), ord=2)
    torch.testing.assert_close(layer.weight, weight / sigma, rtol=1e-4, atol=1e-5)
    assert float(torch.linalg.matrix_norm(layer.weight.detach(), ord=2)) == pytest.approx(1.0)


def test_transposed_convolutions_normalise_over_their_output_dimension():
    torch.manual_seed(0)
    conv = spectral_norm(nn.ConvTranspose2d(3, 7, 4))  # weight (in=3, out=7, 4, 4)
    (sn, weight), *_ = spectral_layers(nn.Sequential(conv))
    assert sn.dim == 1 and sn._u.shape == (7,) and sn._v.shape == (3 * 4 * 4,)
    for _ in range(100):
        power_iteration_([(sn, weight)])
    matrix = weight.detach().movedim(1, 0).flatten(1)
    sigma = torch.linalg.matrix_norm(matrix, ord=2)
    torch.testing.assert_close(conv.weight, weight / sigma, rtol=1e-4, atol=1e-5)


def test_state_dicts_use_pytorchs_names_and_gradients_treat_u_v_as_constants():
    torch.manual_seed(0)
    mine = spectral_norm(nn.Linear(3, 2))
    theirs = nn.utils.parametrizations.spectral_norm(nn.Linear(3, 2))
    assert list(mine.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict(mine.state_dict())  # loads either way
    mine(torch.randn(4, 3)).sum().backward()
    assert mine.parametrizations.weight.original.grad is not None
    assert spectral_layers(nn.Linear(3, 2)) == []
