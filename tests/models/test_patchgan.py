"""models/patchgan.py: the PatchGAN discriminator and its receptive field."""

import torch

from ganforge.models.patchgan import PatchDiscriminator, receptive_field


def test_patchgan_receptive_field_is_70_for_three_layers():
    assert [receptive_field(n) for n in (1, 2, 3, 4)] == [16, 34, 70, 142]
    D = PatchDiscriminator(1, width=2, layers=3, norm="none")
    x = torch.zeros(1, 1, 160, 160, requires_grad=True)
    out = D(x)
    assert out.shape == (1, 1, 18, 18)  # 160 -> 80 -> 40 -> 20 -> 19 -> 18
    out[0, 0, 9, 9].backward()
    rows = x.grad[0, 0].abs().sum(1).nonzero().flatten()
    assert rows.max() - rows.min() + 1 == 70  # one logit sees exactly a 70 x 70 patch
