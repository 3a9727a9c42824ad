"""models/unet.py: the pix2pix U-Net's shapes and where its dropout sits."""

import pytest
import torch

from ganforge.models.unet import UNetGenerator


@pytest.mark.parametrize("c_in,c_out", [(1, 1), (3, 3), (1, 3)])
@pytest.mark.parametrize("depth,h,w", [(3, 8, 8), (5, 32, 32), (4, 32, 48)])
def test_unet_shapes(c_in, c_out, depth, h, w):
    G = UNetGenerator(c_in, c_out, width=4, depth=depth).eval()
    y = G(torch.randn(2, c_in, h, w))
    assert y.shape == (2, c_out, h, w) and y.abs().max() <= 1
    assert G.multiple == 2**depth


@pytest.mark.parametrize("depth,dropouts", [(8, 3), (5, 3), (3, 1)])
def test_unet_dropout_in_the_innermost_decoder_blocks(depth, dropouts):
    G = UNetGenerator(1, 1, width=2, depth=depth)
    where = [i for i, up in enumerate(G.ups) if any(isinstance(m, torch.nn.Dropout) for m in up)]
    assert len(where) == dropouts and max(where) == depth - 2  # never the innermost, never 0
