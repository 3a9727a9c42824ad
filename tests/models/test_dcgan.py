"""models/dcgan.py: Radford et al. 2016's layouts and initialisation."""

import pytest
import torch

from ganforge.config import Config, ModelConfig
from ganforge.models import build_generator
from ganforge.models.dcgan import DCGANDiscriminator, DCGANGenerator


def test_dcgan_init_is_normal_002():
    torch.manual_seed(0)
    cfg = Config(model=ModelConfig(g_width=64))
    G = build_generator(cfg)
    w = torch.cat(
        [m.weight.flatten() for m in G.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    )
    assert abs(w.mean().item()) < 1e-3 and w.std().item() == pytest.approx(0.02, rel=0.05)


@pytest.mark.parametrize("res,start,n_up", [(28, 7, 2), (32, 4, 3), (64, 4, 4)])
def test_layouts_start_small_and_double_to_the_resolution(res, start, n_up):
    G = DCGANGenerator(z_dim=8, channels=3, resolution=res, width=4).eval()
    assert G.convs[0].kernel_size == (start, start) and len(G.convs) == n_up
    assert [c.out_channels for c in G.convs] == [4 * 2 ** (n_up - 1 - i) for i in range(n_up)]
    assert G(torch.randn(2, 8)).shape == (2, 3, res, res)
    D = DCGANDiscriminator(channels=3, resolution=res, width=4)
    assert D.head.kernel_size == (start, start) and D(torch.randn(2, 3, res, res)).shape == (2,)


def test_the_discriminators_first_layer_has_no_norm_and_the_others_do():
    D = DCGANDiscriminator(resolution=32, width=4, norm="layer")
    kinds = [type(m).__name__ for m in D.features]
    assert kinds == [
        "Conv2d",
        "LeakyReLU",
        "Conv2d",
        "GroupNorm",
        "LeakyReLU",
        "Conv2d",
        "GroupNorm",
        "LeakyReLU",
    ]
    assert D.features[0].bias is not None and D.features[2].bias is None  # norm's shift instead


def test_projection_conditioning_uses_class_batch_norm_in_g_and_a_projection_in_d():
    torch.manual_seed(0)
    G = DCGANGenerator(z_dim=8, width=4, num_classes=3, conditional="projection").eval()
    assert G.embed is None and G.cond_bn
    z = torch.randn(1, 8).repeat(2, 1)
    with torch.no_grad():
        G.norms[0].gamma.weight[2] = 3.0  # class 2 scales the first layer's features
    x = G(z, torch.tensor([0, 2]))
    assert not torch.equal(x[0], x[1])
    D = DCGANDiscriminator(width=4, num_classes=3, conditional="projection").eval()
    assert D.plane is None and D.projection is not None
    same = x[:1].repeat(2, 1, 1, 1)
    out = D(same, torch.tensor([0, 1]))
    assert out[0] != out[1]
