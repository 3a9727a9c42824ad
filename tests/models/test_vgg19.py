"""models/vgg19.py: VGG19 features in torchvision's key layout, loading and fetching them."""

import hashlib

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.models import vgg19 as V


@pytest.fixture(autouse=True)
def _downloads_allowed(monkeypatch):
    # Downloads here come from a server on 127.0.0.1 (or an unreachable address) only.
    monkeypatch.delenv("GANFORGE_OFFLINE", raising=False)


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
