"""text/image_encoder.py: shapes for grey and colour, 32 and 64 px; no batch statistics."""

import pytest
import torch

from ganforge.text.image_encoder import ImageEncoder


@pytest.mark.parametrize("channels,size", [(1, 32), (3, 64), (1, 8)])
def test_shapes(channels, size):
    enc = ImageEncoder(channels, size, width=8, out_dim=12)
    assert enc(torch.randn(3, channels, size, size)).shape == (3, 12)


def test_an_embedding_does_not_depend_on_the_rest_of_the_batch():
    torch.manual_seed(0)
    enc = ImageEncoder(1, 16, width=8, out_dim=4)  # training mode: GroupNorm has no batch stats
    x = torch.randn(4, 1, 16, 16)
    torch.testing.assert_close(enc(x[:1]), enc(x)[:1], rtol=1e-5, atol=1e-5)


def test_sizes_must_be_powers_of_two():
    with pytest.raises(ValueError, match="power of two"):
        ImageEncoder(1, 48)
