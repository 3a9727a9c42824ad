"""models/dfgan.py: DF-GAN's generator and discriminator (Tao et al. 2022)."""

import pytest
import torch
import torch.nn.functional as F

from ganforge.models.dfgan import (
    Affine,
    DBlock,
    DFBlock,
    DFGANDiscriminator,
    DFGANGenerator,
    _channels,
)


@pytest.mark.parametrize("channels,size,blocks", [(1, 32, 3), (3, 64, 4)])
def test_shapes_for_grey_32_and_colour_64(channels, size, blocks):
    torch.manual_seed(0)
    G = DFGANGenerator(z_dim=8, cond_dim=6, channels=channels, size=size, width=4)
    D = DFGANDiscriminator(cond_dim=6, channels=channels, size=size, width=4)
    assert len(G.blocks) == blocks and len(D.blocks) == blocks
    z, s = torch.randn(2, 8), torch.randn(2, 6)
    x = G(z, s)
    assert x.shape == (2, channels, size, size) and x.abs().max() <= 1
    assert D.features(x).shape == (2, 32, 4, 4)  # 8w at 4 px
    assert D(x, s).shape == (2,)


def test_channels_halve_as_the_side_doubles():
    assert _channels(4, 32) == [32, 16, 8, 4]
    assert _channels(4, 64) == [32, 32, 16, 8, 4]
    with pytest.raises(ValueError, match="power of two"):
        _channels(4, 48)


def test_fusion_blocks_start_as_the_identity_affine():
    # gamma(y) = 1 and beta(y) = 0 at initialisation, whatever the condition.
    torch.manual_seed(0)
    x, y = torch.randn(2, 3, 4, 4), torch.randn(2, 5)
    torch.testing.assert_close(Affine(5, 3)(x, y), x)
    torch.testing.assert_close(DFBlock(5, 3)(x, y), F.leaky_relu(F.leaky_relu(x, 0.2), 0.2))


def test_the_condition_modulates_every_block_after_training_moves_the_affines():
    torch.manual_seed(0)
    G = DFGANGenerator(z_dim=4, cond_dim=3, channels=1, size=8, width=2)
    with torch.no_grad():
        for m in G.modules():
            if isinstance(m, Affine):
                m.gamma[2].weight.normal_()
    z = torch.randn(1, 4)
    assert not torch.allclose(G(z, torch.zeros(1, 3)), G(z, torch.ones(1, 3)))


def test_discriminator_blocks_start_as_their_shortcut():
    torch.manual_seed(0)
    block = DBlock(3, 5)
    x = torch.randn(2, 3, 8, 8)
    torch.testing.assert_close(block(x), F.avg_pool2d(block.skip(x), 2))


def test_one_pass_over_real_features_judges_any_sentence():
    torch.manual_seed(0)
    D = DFGANDiscriminator(cond_dim=4, channels=1, size=16, width=2)
    x, s = torch.randn(3, 1, 16, 16), torch.randn(3, 4)
    feats = D.features(x)
    torch.testing.assert_close(D.judge(feats, s), D(x, s))
    # The sentence enters the output (the one-way head): another sentence, another logit.
    assert not torch.allclose(D.judge(feats, s), D.judge(feats, s.flip(0)))


def test_the_linear_output_is_the_tanh_outputs_pre_activation():
    torch.manual_seed(0)
    G = DFGANGenerator(z_dim=8, cond_dim=6, channels=3, size=16, width=4, output="linear")
    with torch.no_grad():  # push the output past [-1, 1], where a tanh G would saturate
        G.to_image.bias.fill_(3.0)
    z, s = torch.randn(4, 8), torch.randn(4, 6)
    raw = G(z, s)
    assert raw.max() > 1
    G.tanh = True
    assert torch.allclose(G(z, s), torch.tanh(raw))
    # Where the tanh output saturates, its gradient has all but vanished; the linear one has not.
    G.tanh = False
    G.zero_grad()
    G(z, s).mean().backward()
    linear_grad = G.to_image.bias.grad.abs().min()
    G.tanh = True
    G.zero_grad()
    G(z, s).mean().backward()
    assert G.to_image.bias.grad.abs().max() < 0.05 * linear_grad


def test_an_unknown_output_is_refused():
    with pytest.raises(ValueError, match="output='sigmoid'"):
        DFGANGenerator(output="sigmoid")
