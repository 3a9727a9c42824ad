"""models/resnet.py: the SNGAN ResNet for 32 px (Miyato et al. 2018, appendix B.4)."""

import torch
import torch.nn.functional as F

from ganforge.models.resnet import DBlock, GBlock, ResNetDiscriminator, ResNetGenerator


def test_generator_upsamples_4_to_32_through_three_blocks():
    torch.manual_seed(0)
    G = ResNetGenerator(z_dim=8, channels=3, width=4).eval()
    sizes = []
    for block in G.blocks:
        block.register_forward_hook(lambda m, i, o: sizes.append(o.shape[-1]))
    x = G(torch.randn(2, 8))
    assert x.shape == (2, 3, 32, 32) and sizes == [8, 16, 32] and x.abs().max() <= 1


def test_a_generator_block_is_residual_around_a_nearest_upsampled_shortcut():
    torch.manual_seed(0)
    block = GBlock(4, 6, num_classes=0).eval()
    x = torch.randn(1, 4, 3, 3)
    with torch.no_grad():
        for conv in (block.conv1, block.conv2):
            conv.weight.zero_()
            conv.bias.zero_()
    torch.testing.assert_close(block(x), block.skip(F.interpolate(x, scale_factor=2)))


def test_discriminator_blocks_pool_where_the_paper_does():
    torch.manual_seed(0)
    first = DBlock(3, 4, down=True, first=True, use_sn=False)
    x = torch.randn(1, 3, 8, 8)
    with torch.no_grad():
        first.conv2.weight.zero_()
        first.conv2.bias.zero_()
    # The optimised first block pools before its 1x1 shortcut conv (and applies no ReLU first).
    torch.testing.assert_close(first(x), first.skip(F.avg_pool2d(x, 2)))
    later = DBlock(4, 4, down=False, first=False, use_sn=False)
    assert later.skip is None  # same width, no pooling: the identity shortcut
    y = torch.randn(1, 4, 4, 4)
    with torch.no_grad():
        later.conv2.weight.zero_()
        later.conv2.bias.zero_()
    torch.testing.assert_close(later(y), y)


def test_discriminator_sums_features_and_adds_the_projection_for_its_class():
    torch.manual_seed(0)
    D = ResNetDiscriminator(
        channels=1, width=4, spectral_norm=True, num_classes=3, conditional="projection"
    )
    x = torch.randn(2, 1, 32, 32)
    same = D(x, torch.tensor([0, 0]))
    other = D(x, torch.tensor([2, 0]))
    assert same.shape == (2,) and same[1] == other[1] and same[0] != other[0]
    plain = ResNetDiscriminator(channels=1, width=4, spectral_norm=False)
    assert plain.projection is None and plain.plane is None
    assert all("parametrizations" not in n for n, _ in plain.named_parameters())
    assert any("parametrizations" in n for n, _ in D.named_parameters())
