"""models/mlp.py: the tutorial MLP pair (Goodfellow et al. 2014) and the 2-D toy pair."""

import torch
from torch import nn

from ganforge.config import Config, DataConfig, ModelConfig
from ganforge.models import build_discriminator, build_generator
from ganforge.models.mlp import MLPDiscriminator, MLPGenerator


def test_tutorial_mlp_sizes():
    cfg = Config(data=DataConfig(resolution=28), model=ModelConfig(arch="mlp"))
    G, D = build_generator(cfg), build_discriminator(cfg)
    g_lin = [m for m in G.modules() if isinstance(m, torch.nn.Linear)]
    d_lin = [m for m in D.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in g_lin] == [(100, 256), (256, 784)]
    assert [(m.in_features, m.out_features) for m in d_lin] == [(784, 100), (100, 50), (50, 1)]


def test_the_toy_generator_is_linear_and_the_image_one_is_bounded():
    torch.manual_seed(0)
    toy = MLPGenerator(2, [8], (2,), tanh=False)
    image = MLPGenerator(2, [8], (1, 3, 3), tanh=True)
    z = torch.randn(64, 2) * 100
    assert toy(z).abs().max() > 1  # unbounded points
    x = image(z)
    assert x.shape == (64, 1, 3, 3) and x.abs().max() <= 1


def test_labels_are_embedded_and_concatenated_to_z_and_to_the_input():
    torch.manual_seed(0)
    G = MLPGenerator(4, [8], (1, 2, 2), num_classes=3, embed_dim=5)
    D = MLPDiscriminator((1, 2, 2), [8], num_classes=3, embed_dim=5, dropout=0.5)
    assert G.net[0].in_features == 4 + 5 and D.net[0].in_features == 4 + 5
    assert sum(isinstance(m, nn.Dropout) for m in D.net) == 1
    z = torch.randn(1, 4).repeat(2, 1)
    x = G(z, torch.tensor([0, 2]))
    assert not torch.equal(x[0], x[1])
    D.eval()
    same = x[:1].repeat(2, 1, 1, 1)
    logits = D(same, torch.tensor([0, 1]))
    assert logits.shape == (2,) and logits[0] != logits[1]


def test_spectral_norm_wraps_every_linear_layer_of_the_discriminator():
    D = MLPDiscriminator((2,), [4, 4], spectral_norm=True)
    linear = [m for m in D.net if isinstance(m, nn.Linear)]
    assert len(linear) == 3 and all(hasattr(m, "parametrizations") for m in linear)
