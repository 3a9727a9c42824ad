"""The PatchGAN discriminator: Isola et al. 2017 (pix2pix), section 3.2.2 and appendix 6.1.2;
also CycleGAN's discriminator (Zhu et al. 2017, section 4 and appendix 7.2).

It classifies every N x N patch of an image as real or fake instead of the whole image, modelling
the image as a Markov random field: C64-C128-C256-C512 (4x4 convolutions, LeakyReLU 0.2, norm on
all but the first), the first three with stride 2 and the last with stride 1, then a 4x4 convolution
to one logit per patch. With ``layers=3`` each output sees a 70 x 70 receptive field (the paper's
default); 1 gives 16 x 16, 4 gives 142 x 142. Reference: models/networks.py (NLayerDiscriminator)
of https://github.com/junyanz/pytorch-CycleGAN-and-pix2pix.

For pix2pix D is conditional: it sees the input and the (real or generated) output concatenated
along channels, so ``in_channels`` is their sum. Call signature: ``D(x) -> (B, 1, h, w)`` logits;
the adversarial losses average over patches and samples.
"""

from __future__ import annotations

from torch import Tensor, nn

from ganforge.models.layers import dcgan_init_, norm2d


def receptive_field(layers: int) -> int:
    """Side of the input patch one output logit sees: 70 for the default 3 layers."""
    rf = 1
    # Walk back from the output: two stride-1 4x4 convs, then ``layers`` stride-2 4x4 convs.
    for stride in [1, 1] + [2] * layers:
        rf = (rf - 1) * stride + 4
    return rf


class PatchDiscriminator(nn.Module):
    def __init__(
        self, in_channels: int = 6, width: int = 64, layers: int = 3, norm: str = "batch"
    ) -> None:
        super().__init__()
        bias = norm != "batch"
        seq: list[nn.Module] = [nn.Conv2d(in_channels, width, 4, 2, 1), nn.LeakyReLU(0.2)]
        c = width
        for i in range(1, layers + 1):
            c_out = width * min(2**i, 8)
            stride = 2 if i < layers else 1  # the last feature layer keeps the resolution
            seq += [
                nn.Conv2d(c, c_out, 4, stride, 1, bias=bias),
                norm2d(norm, c_out),
                nn.LeakyReLU(0.2),
            ]
            c = c_out
        seq.append(nn.Conv2d(c, 1, 4, 1, 1))
        self.net = nn.Sequential(*seq)
        self.layers = layers
        dcgan_init_(self)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)  # (B, 1, h, w): one logit per overlapping patch
