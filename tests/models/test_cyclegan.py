"""models/cyclegan.py: the ResNet generator of CycleGAN (Zhu et al. 2017)."""

import pytest
import torch

from ganforge.models.cyclegan import ResnetGenerator


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("h,w", [(16, 16), (20, 28)])
def test_resnet_generator_shapes(channels, h, w):
    G = ResnetGenerator(channels, channels, width=4, blocks=2)
    assert G(torch.randn(2, channels, h, w)).shape == (2, channels, h, w)


def test_resnet_generator_declares_its_smallest_input():
    G = ResnetGenerator(1, 1, width=4, blocks=1).eval()
    assert G(torch.zeros(1, 1, G.min_size, G.min_size)).shape == (1, 1, 8, 8)
    with pytest.raises(
        (RuntimeError, ValueError)
    ):  # a 1x1 bottleneck: why translate refuses 4 px images
        G(torch.zeros(1, 1, 4, 4))
