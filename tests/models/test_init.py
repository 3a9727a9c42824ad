"""models/__init__.py: build_generator / build_discriminator for every arch, size, channel count
and conditioning."""

import pytest
import torch

from ganforge.config import Config, DataConfig, ModelConfig
from ganforge.models import build_discriminator, build_generator

CASES = [("dcgan", r) for r in (28, 32, 64)] + [("resnet", 32), ("mlp", 28), ("mlp", 32)]


@pytest.mark.parametrize("arch,res", CASES)
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("conditional", ["none", "concat", "projection"])
def test_generator_and_discriminator_shapes(arch, res, channels, conditional):
    cfg = Config(
        data=DataConfig(resolution=res, channels=channels),
        model=ModelConfig(
            arch=arch,
            conditional=conditional,
            g_width=8,
            d_width=8,
            spectral_norm=arch == "resnet",
            g_hidden=[16],
            d_hidden=[16],
        ),
    )
    G, D = build_generator(cfg, 10), build_discriminator(cfg, 10)
    z, y = torch.randn(3, cfg.model.z_dim), torch.tensor([0, 4, 9])
    x = G(z, y)
    assert x.shape == (3, channels, res, res)
    assert x.abs().max() <= 1.0  # Tanh range
    logits = D(x, y)
    assert logits.shape == (3,)
    logits.sum().backward()


def test_toy_pair_shapes_and_linear_output():
    cfg = Config(data=DataConfig(source="toy-ring"), model=ModelConfig(arch="toy", z_dim=2))
    G, D = build_generator(cfg), build_discriminator(cfg)
    pts = G(torch.randn(5, 2) * 50)
    assert pts.shape == (5, 2)
    assert D(pts).shape == (5,)


def test_conditioning_changes_output():
    torch.manual_seed(0)
    cfg = Config(model=ModelConfig(conditional="concat", g_width=8, d_width=8))
    G = build_generator(cfg, 10).eval()
    z = torch.randn(1, 100).repeat(2, 1)
    out = G(z, torch.tensor([0, 1]))
    assert not torch.allclose(out[0], out[1])
