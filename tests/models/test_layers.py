"""The DCGAN weight init reaches the trained weights, also under spectral norm."""

import pytest
import torch
from torch import nn

from ganforge.config import load_config
from ganforge.models import build_discriminator
from ganforge.models.layers import dcgan_init_, sn


def _convs(module: nn.Module) -> list[nn.Module]:
    return [m for m in module.modules() if isinstance(m, nn.Conv2d)]


@pytest.mark.parametrize("preset", ["projection-fashion-mnist", "dcgan-fashion-mnist"])
def test_dcgan_discriminator_weights_are_n_0_002(preset):
    torch.manual_seed(0)
    cfg = load_config(preset)
    D = build_discriminator(cfg, num_classes=10).eval()
    convs = _convs(D)
    assert len(convs) == 4  # three stride-2 convs and the head
    for conv in convs:
        # Under spectral norm the trained parameter is the original W (conv.weight is W / sigma).
        sn_on = cfg.model.spectral_norm
        weight = conv.parametrizations.weight.original if sn_on else conv.weight
        # PyTorch's default init would give std 1/sqrt(3 fan_in): 0.14 for the first conv.
        assert weight.std().item() == pytest.approx(0.02, rel=0.15)
        assert weight.mean().abs().item() < 0.01


def test_spectral_norm_starts_from_the_initialised_weights():
    # Spectral norm runs its power iteration when it wraps a layer: done after the init, the
    # normalised weight has spectral norm ~1. Wrapped before it, sigma would be estimated from
    # the replaced weights and W / sigma would be far from 1.
    torch.manual_seed(0)
    D = build_discriminator(load_config("projection-fashion-mnist"), num_classes=10).eval()
    for conv in _convs(D):
        top = torch.linalg.matrix_norm(conv.weight.flatten(1), ord=2).item()
        assert top == pytest.approx(1.0, abs=0.1)


def test_init_on_an_already_wrapped_layer_reaches_the_original():
    torch.manual_seed(0)
    conv = sn(nn.Conv2d(16, 32, 4), enabled=True)  # default init: std ~0.036
    dcgan_init_(conv)
    original = conv.parametrizations.weight.original
    assert original.std().item() == pytest.approx(0.02, rel=0.1)
    plain = nn.Conv2d(16, 32, 4)
    dcgan_init_(plain)
    assert plain.weight.std().item() == pytest.approx(0.02, rel=0.1)
    assert torch.count_nonzero(plain.bias) == 0
