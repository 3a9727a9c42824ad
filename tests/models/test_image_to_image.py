"""Image-to-image networks: output shapes at several sizes and channel counts, the PatchGAN's
receptive field, U-Net dropout placement, and VGG19 in torchvision's key layout."""

import hashlib

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.models import vgg19 as V
from ganforge.models.cyclegan import ResnetGenerator
from ganforge.models.patchgan import PatchDiscriminator, receptive_field
from ganforge.models.srresnet import SRDiscriminator, SRResNet
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


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("h,w", [(16, 16), (20, 28)])
def test_resnet_generator_shapes(channels, h, w):
    G = ResnetGenerator(channels, channels, width=4, blocks=2)
    assert G(torch.randn(2, channels, h, w)).shape == (2, channels, h, w)


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


def test_patchgan_receptive_field_is_70_for_three_layers():
    assert [receptive_field(n) for n in (1, 2, 3, 4)] == [16, 34, 70, 142]
    D = PatchDiscriminator(1, width=2, layers=3, norm="none")
    x = torch.zeros(1, 1, 160, 160, requires_grad=True)
    out = D(x)
    assert out.shape == (1, 1, 18, 18)  # 160 -> 80 -> 40 -> 20 -> 19 -> 18
    out[0, 0, 9, 9].backward()
    rows = x.grad[0, 0].abs().sum(1).nonzero().flatten()
    assert rows.max() - rows.min() + 1 == 70  # one logit sees exactly a 70 x 70 patch


# --------------------------------------------------------------------------- VGG19

TORCHVISION_CONVS = [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34]


def test_vgg19_layout_matches_torchvision():
    assert V.layer_index("5_4") == 35 and V.layer_index("2_2") == 8 and V.layer_index("1_1") == 1
    keys = V.VGG19Features("5_4").features.state_dict()
    assert sorted({int(k.split(".")[0]) for k in keys}) == TORCHVISION_CONVS
    assert keys["0.weight"].shape == (64, 3, 3, 3) and keys["34.weight"].shape == (512, 512, 3, 3)
    with pytest.raises(GanforgeError, match="no conv6_1"):
        V.layer_index("6_1")


def _torchvision_file(path):
    """A random state dict in the layout of torchvision's vgg19-dcbb9e9d.pth (small classifier)."""
    g = torch.Generator().manual_seed(0)
    state = {
        f"features.{k}": torch.randn(v.shape, generator=g) * 0.05
        for k, v in V.VGG19Features("5_4").features.state_dict().items()
    }
    state["classifier.6.weight"] = torch.zeros(10, 4)  # ignored: only features are loaded
    torch.save(state, path)
    return state


def test_vgg19_loads_a_torchvision_state_dict(tmp_path):
    path = tmp_path / V.WEIGHTS_FILE
    state = _torchvision_file(path)
    net = V.load_vgg19(path, "2_2")
    assert torch.equal(net.features[7].weight, state["features.7.weight"])
    assert not any(p.requires_grad for p in net.parameters())
    x = torch.rand(2, 1, 16, 16) * 2 - 1  # grey input goes in as RGB
    assert net(x).shape == (2, 128, 8, 8)
    broken = tmp_path / "broken.pth"
    torch.save({k: v for k, v in state.items() if k != "features.7.bias"}, broken)
    with pytest.raises(GanforgeError, match="not torchvision's vgg19"):
        V.load_vgg19(broken, "2_2")


def test_vgg19_fetch_verifies_and_fails_clearly_offline(tmp_path, monkeypatch):
    with pytest.raises(
        GanforgeError, match=r"vgg19-dcbb9e9d\.pth.*download.*content_loss=l1 or dfeat"
    ):
        V.fetch_vgg19(tmp_path, allow_download=False, layer="2_2")
    path = tmp_path / "weights" / V.WEIGHTS_FILE
    path.parent.mkdir()
    _torchvision_file(path)
    with pytest.raises(GanforgeError, match="sha256"):  # a file that is not the published one
        V.fetch_vgg19(tmp_path, allow_download=False, layer="2_2")
    monkeypatch.setattr(V, "WEIGHTS_SHA256", hashlib.sha256(path.read_bytes()).hexdigest())
    assert V.fetch_vgg19(tmp_path, allow_download=False, layer="2_2").layer == "2_2"


def test_vgg19_loads_torchvisions_legacy_file_format(tmp_path):
    """torchvision's vgg19-dcbb9e9d.pth (2017) predates torch's zip format, which mmap needs."""
    import zipfile

    g = torch.Generator().manual_seed(1)
    state = {
        f"features.{k}": torch.randn(v.shape, generator=g) * 0.05
        for k, v in V.VGG19Features("5_4").features.state_dict().items()
    }
    state["classifier.0.weight"] = torch.zeros(8, 4)
    path = tmp_path / V.WEIGHTS_FILE
    torch.save(state, path, _use_new_zipfile_serialization=False)
    assert not zipfile.is_zipfile(path)
    net = V.load_vgg19(path, "5_4")
    assert torch.equal(net.features[34].weight, state["features.34.weight"])
    assert net(torch.rand(1, 3, 16, 16) * 2 - 1).shape == (1, 512, 1, 1)


def test_resnet_generator_declares_its_smallest_input():
    G = ResnetGenerator(1, 1, width=4, blocks=1).eval()
    assert G(torch.zeros(1, 1, G.min_size, G.min_size)).shape == (1, 1, 8, 8)
    with pytest.raises(
        (RuntimeError, ValueError)
    ):  # a 1x1 bottleneck: why translate refuses 4 px images
        G(torch.zeros(1, 1, 4, 4))
