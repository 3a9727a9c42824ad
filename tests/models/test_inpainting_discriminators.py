"""models/inpainting_discriminators.py: SN-PatchGAN's patch logits and spectral norm, the global +
local discriminator, and the local crops around the holes."""

import pytest
import torch

from ganforge.losses.adversarial import d_hinge, g_hinge
from ganforge.models.inpainting_discriminators import (
    DISCRIMINATORS,
    GlobalLocalDiscriminator,
    SNPatchDiscriminator,
    local_crops,
)
from ganforge.models.spectral_norm import power_iteration_, spectral_layers


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_sn_patch_logits_every_patch(channels):
    D = SNPatchDiscriminator(channels, width=4, layers=4)
    x, m = torch.rand(2, channels, 32, 48), torch.zeros(2, 1, 32, 48)
    out = D(x, m)
    assert out.shape == (2, 16, 2, 3)  # widths 4, 8, 16, 16; sides / 2^4
    layers = spectral_layers(D)
    assert len(layers) == 4  # every convolution spectrally normalised (ganforge's own)
    power_iteration_(layers)
    # The hinge loss of Yu et al. averages over every element of the map: the existing losses.
    loss = d_hinge(out, D(x.flip(0), m)) + g_hinge(out)
    assert loss.ndim == 0 and torch.isfinite(loss)


def test_sn_patch_reference_widths():
    D = SNPatchDiscriminator(3)
    convs = [m for m in D.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [64, 128, 256, 256, 256, 256]
    assert all(c.kernel_size == (5, 5) and c.stride == (2, 2) for c in convs)
    assert convs[0].in_channels == 4  # the image and the mask


def test_local_crops_centre_on_the_box_and_stay_inside():
    x = torch.arange(2 * 1 * 8 * 10, dtype=torch.float32).view(2, 1, 8, 10).requires_grad_()
    boxes = torch.tensor([[3, 4, 5, 6], [0, 8, 2, 10]])  # centre (4, 5); a corner box
    crops = local_crops(x, boxes, (4, 4))
    assert crops.shape == (2, 1, 4, 4)
    assert torch.equal(crops[0], x[0, :, 2:6, 3:7])  # centred on (4, 5)
    assert torch.equal(crops[1], x[1, :, 0:4, 6:10])  # moved inside at the corner
    crops.sum().backward()
    assert x.grad.sum() == 32  # the gradient reaches the images


@pytest.mark.parametrize("spectral", [False, True])
def test_global_local_gives_one_logit_per_image(spectral):
    D = GlobalLocalDiscriminator(
        3, (32, 48), width=4, global_layers=3, local_layers=2, fc=16, spectral_norm=spectral
    )
    assert D.local_size == (16, 24)
    boxes = torch.tensor([[4, 4, 20, 20], [10, 30, 30, 46]])
    out = D(torch.rand(2, 3, 32, 48), boxes)
    assert out.shape == (2,)
    assert (len(spectral_layers(D)) > 0) == spectral


def test_global_local_looks_where_the_box_is():
    torch.manual_seed(0)
    D = GlobalLocalDiscriminator(1, (16, 16), width=2, global_layers=2, local_layers=1, fc=4)
    D.eval()
    x = torch.rand(1, 1, 16, 16)
    a = D(x, torch.tensor([[0, 0, 4, 4]]))
    b = D(x, torch.tensor([[10, 10, 14, 14]]))  # same image, another hole: another local view
    assert a.shape == (1,) and not torch.equal(a, b)
    assert set(DISCRIMINATORS) == {"sn-patch", "global-local"}
