"""models/srresnet.py: SRResNet and the SRGAN discriminator (Ledig et al. 2017)."""

import pytest
import torch

from ganforge.models.srresnet import SRDiscriminator, SRResNet


@pytest.mark.parametrize("scale", [2, 4, 8])
@pytest.mark.parametrize("channels", [1, 3])
def test_srresnet_and_its_discriminator(scale, channels):
    G = SRResNet(channels, channels, width=4, blocks=2, scale=scale).eval()
    sr = G(torch.randn(2, channels, 6, 5))
    assert sr.shape == (2, channels, 6 * scale, 5 * scale)
    D = SRDiscriminator(channels, width=4)
    assert D(sr).shape == (2,) and D.features(torch.randn(2, channels, 32, 48)).shape == (
        2,
        32,
        2,
        3,
    )
    with pytest.raises(ValueError, match="powers of two"):
        SRResNet(channels, channels, scale=3)
