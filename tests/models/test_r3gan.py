"""R3GAN networks: sizes, refusals, fix-up init, parameter counts, resampling, double backward."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from ganforge.errors import GanforgeError
from ganforge.models.r3gan import (
    LRELU_GAIN,
    Downsample,
    InvertedBottleneck,
    R3Discriminator,
    R3Generator,
    Upsample,
    basis_size,
    stage_plan,
)


def _pair(h, w, channels, num_classes, **kw):
    # Narrow widths; 16-wide stages expand to 32 channels = 4 groups of 8, so grouping is exercised.
    widths = stage_plan(h, w, base_width=4, max_width=16)
    args = dict(widths=widths, blocks_per_stage=1, group_width=8, num_classes=num_classes, **kw)
    G = R3Generator(8, channels, h, w, **args)
    D = R3Discriminator(channels, h, w, **args)
    return G, D


@pytest.mark.parametrize(
    "size,basis",
    [((28, 28), (2, 7, 7)), ((32, 32), (3, 4, 4)), ((64, 64), (4, 4, 4)), ((64, 96), (4, 4, 6))]
    + [((256, 256), (6, 4, 4)), ((48, 64), (4, 3, 4)), ((40, 40), (3, 5, 5))],
)
def test_basis_size_is_the_smallest_basis_within_3_to_8(size, basis):
    assert basis_size(*size) == basis


@pytest.mark.parametrize("size", [(28, 28), (32, 32), (64, 64), (64, 96), (256, 256)])
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_shapes_and_backward_conditional_and_not(size, channels):
    h, w = size
    for num_classes in (0, 10):
        torch.manual_seed(0)
        G, D = _pair(h, w, channels, num_classes)
        assert G.z_dim == 8
        z, y = torch.randn(2, 8), torch.tensor([1, 7])
        x = G(z, y)
        assert x.shape == (2, channels, h, w)  # (B, C, H, W)
        logits = D(x, y)
        assert logits.shape == (2,)
        logits.sum().backward()
        # Gradients reach both ends of both networks.
        assert G.basis.basis.grad.abs().sum() > 0
        assert D.from_image.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("size", [(100, 100), (28, 256), (2, 2), (36, 36)])
def test_impossible_sizes_are_refused_in_one_line(size):
    for build in (
        lambda: R3Generator(8, 3, *size),
        lambda: R3Discriminator(3, *size),
    ):
        with pytest.raises(GanforgeError) as err:
            build()
        msg = str(err.value)
        assert f"{size[0]}x{size[1]}" in msg and "28, 32" in msg and "\n" not in msg


def test_widths_must_match_the_number_of_stages():
    with pytest.raises(GanforgeError, match="4x4 basis in 4 stages, so widths needs 4"):
        R3Generator(8, 3, 32, 32, widths=[16, 16, 16])
    with pytest.raises(GanforgeError, match="blocks_per_stage"):
        R3Discriminator(3, 32, 32, widths=[8] * 4, blocks_per_stage=[1, 1])
    with pytest.raises(GanforgeError, match="groups of 16"):
        InvertedBottleneck(12, 2, group_width=16, variance_scale=1)


def test_stage_plan_reproduces_the_official_presets():
    # train.py: FFHQ-256 uses 768 up to 32 px, then 384, 192, 96; CIFAR-10 768 everywhere.
    assert stage_plan(256, 256, base_width=96, max_width=768) == [768] * 4 + [384, 192, 96]
    assert stage_plan(32, 32, base_width=768, max_width=768) == [768] * 4
    assert stage_plan(28, 28, base_width=32, max_width=128) == [128, 64, 32]
    assert stage_plan(64, 96) == [128, 128, 128, 64, 32]


def test_a_fresh_residual_block_is_the_identity():
    torch.manual_seed(0)
    block = InvertedBottleneck(16, 2, group_width=8, variance_scale=4)
    x = torch.randn(3, 16, 5, 6)
    assert torch.equal(block.residual(x), torch.zeros_like(x))
    assert torch.equal(block(x), x)
    # Once the last layer is non-zero the branch contributes: the check above can fail.
    nn.init.normal_(block.residual[-1].weight)
    assert not torch.allclose(block(x), x)


def _shortcut_only(stages: nn.ModuleList, h: torch.Tensor) -> torch.Tensor:
    for stage in stages:
        for layer in stage:
            if not isinstance(layer, InvertedBottleneck):
                h = layer(h)
    return h


def test_networks_at_init_equal_their_shortcut_path():
    torch.manual_seed(0)
    G, D = _pair(32, 32, 3, num_classes=0)
    G.stages[1].append(InvertedBottleneck(16, 2, 8, variance_scale=5))  # a 2nd block in a stage
    z = torch.randn(4, 8)
    with torch.no_grad():
        x = G(z)
        assert torch.allclose(x, G.to_image(_shortcut_only(G.stages, G.basis(z))), atol=1e-6)
        want = D.basis(_shortcut_only(D.stages, D.from_image(x))).squeeze(1)
        assert torch.allclose(D(x), want, atol=1e-6)


def test_inner_convs_use_the_variance_scaling_rule():
    # N(0, g_lrelu * L^(-1/4) / sqrt(fan_in)) for the first two layers, L = blocks in the network.
    torch.manual_seed(0)
    block = InvertedBottleneck(64, 2, group_width=16, variance_scale=16)
    expand, grouped = block.residual[0][0].weight, block.residual[1][0].weight
    gain = LRELU_GAIN * 16 ** (-1 / 4)
    assert expand.std().item() == pytest.approx(gain / math.sqrt(64), rel=0.05)
    assert grouped.std().item() == pytest.approx(gain / math.sqrt(16 * 9), rel=0.05)
    assert block.residual[-1].weight.abs().sum() == 0
    assert all(p.abs().sum() == 0 for n, p in block.named_parameters() if n.endswith("bias"))
    # The two activated convolutions carry the activation's bias; the projection has none.
    assert [m.bias is None for m in block.modules() if isinstance(m, nn.Conv2d)] == [
        False,
        False,
        True,
    ]


def _block_params(c: int, group_width: int) -> int:
    hidden = 2 * c
    per_group = min(group_width, hidden)
    return c * hidden + hidden * per_group * 9 + hidden * c + 2 * hidden  # 3 convs + 2 biases


def _count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("num_classes,g_want,d_want", [(0, 4892, 4780), (10, 5100, 5180)])
def test_parameter_counts_of_a_tiny_config(num_classes, g_want, d_want):
    widths, z, k, e_g, e_d = [16, 8, 8, 4], 8, num_classes, 8 if num_classes else 0, 16
    blocks = sum(_block_params(c, 4) for c in widths)
    transitions = 16 * 8 + 8 * 4  # 1x1 convs where the width changes; 8 -> 8 has none
    g = (16 * 4 * 4 + (z + e_g) * 16) + blocks + transitions + 4 * 3 + k * e_g
    d_out = e_d if k else 1
    d = 3 * 4 + blocks + transitions + (16 * 4 * 4 + 16 * d_out) + k * e_d
    assert (g, d) == (g_want, d_want)  # the formula, evaluated by hand for this config
    args = dict(widths=widths, blocks_per_stage=1, group_width=4, num_classes=num_classes)
    assert _count(R3Generator(z, 3, 32, 32, **args)) == g_want
    assert _count(R3Discriminator(3, 32, 32, **args)) == d_want


def test_bilinear_resampling_is_the_official_1331_filter_inside_the_border():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 12, 10)
    taps = torch.tensor([1.0, 3.0, 3.0, 1.0])
    kernel = (torch.outer(taps, taps) / 64).expand(3, 1, 4, 4)
    down = F.conv2d(x, kernel, stride=2, padding=1, groups=3)
    up = F.conv_transpose2d(x, 4 * kernel, stride=2, padding=1, groups=3)
    assert torch.allclose(Downsample(3, 3)(x)[..., 1:-1, 1:-1], down[..., 1:-1, 1:-1], atol=1e-6)
    assert torch.allclose(Upsample(3, 3)(x)[..., 1:-1, 1:-1], up[..., 1:-1, 1:-1], atol=1e-6)


def test_labels_change_outputs_and_unconditional_models_ignore_them():
    torch.manual_seed(0)
    G, D = _pair(28, 28, 1, num_classes=10)
    z = torch.randn(2, 8).repeat(2, 1)
    y = torch.tensor([0, 1, 2, 3])
    x = G(z, y)
    assert not torch.allclose(x[:2], x[2:])
    logits = D(x[:2].repeat(2, 1, 1, 1), y)
    assert not torch.allclose(logits[:2], logits[2:])
    with pytest.raises(ValueError, match="pass labels"):
        G(z)
    G0, D0 = _pair(28, 28, 1, num_classes=0)
    assert torch.equal(G0(z, y), G0(z)) and torch.equal(D0(x, y), D0(x))


def test_discriminator_supports_the_double_backward_of_r1():
    torch.manual_seed(0)
    _, D = _pair(32, 32, 3, num_classes=0)
    nn.init.normal_(D.stages[0][0].residual[-1].weight, std=0.1)  # make the branch matter
    x = torch.randn(4, 3, 32, 32, requires_grad=True)
    (grad,) = torch.autograd.grad(D(x).sum(), x, create_graph=True)
    grad.square().sum().backward()
    assert D.stages[0][0].residual[0][0].weight.grad.abs().sum() > 0
    assert D.from_image.weight.grad.abs().sum() > 0


def test_class_embeddings_use_the_official_init():
    # One-hot times a bias-free linear map: std gain / sqrt(num_classes), gain 1 in G and
    # 1 / sqrt(embed_dim) in D, whose embedding meets the features in an inner product.
    torch.manual_seed(0)
    widths = [64, 32, 16]
    G = R3Generator(64, 1, 28, 28, widths=widths, num_classes=100)
    D = R3Discriminator(1, 28, 28, widths=widths, num_classes=100)
    assert G.embed.weight.shape == (100, 64) and D.embed.weight.shape == (100, 64)
    assert G.embed.weight.std().item() == pytest.approx(1 / 10, rel=0.05)
    assert D.embed.weight.std().item() == pytest.approx(1 / 10 / 8, rel=0.05)
    assert G.basis.basis.std().item() == pytest.approx(1.0, rel=0.1)
