"""models/inpainting.py: gated and partial-convolution generators, their shapes, that they never
read the hole, the partial convolution's rule, and their receptive fields measured."""

import pytest
import torch

from ganforge.models.inpainting import (
    GENERATORS,
    GatedGenerator,
    PartialConv2d,
    PartialConvUNet,
    composite,
)


def _tiny(kind: str, channels: int) -> torch.nn.Module:
    torch.manual_seed(0)
    if kind == "gated":
        return GatedGenerator(channels, width=4, dilations=(2,)).eval()
    if kind == "gated2":
        return GatedGenerator(channels, width=4, stages=2, dilations=(2,)).eval()
    return PartialConvUNet(channels, width=4, depth=3).eval()


def _hole(b: int, h: int, w: int) -> torch.Tensor:
    m = torch.zeros(b, 1, h, w)
    m[:, :, h // 4 : h // 2, w // 3 : w // 2 + 3] = 1
    return m


@pytest.mark.parametrize("kind", ["gated", "gated2", "partial"])
@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize("hw", [(16, 16), (24, 40)])
def test_shapes_and_range(kind, channels, hw):
    G = _tiny(kind, channels)
    h, w = hw
    assert h % G.multiple == 0 and w % G.multiple == 0
    y = G(torch.rand(2, channels, h, w) * 2 - 1, _hole(2, h, w))
    assert y.shape == (2, channels, h, w) and y.abs().max() <= 1


@pytest.mark.parametrize("kind", ["gated", "gated2", "partial"])
def test_the_hole_is_never_read(kind):
    G = _tiny(kind, 3)
    x, m = torch.rand(1, 3, 16, 24) * 2 - 1, _hole(1, 16, 24)
    noise = torch.randn_like(x) * m  # changes only the hole's pixels
    assert torch.equal(G(x, m), G(x + noise, m))


def test_gated_init_keeps_the_signal_through_the_stage():
    # With PyTorch's or the reference's init the output's spread would be ~1e-5 (the docstring).
    torch.manual_seed(0)
    G = GatedGenerator(1, width=8, dilations=(2, 4))
    x, m = torch.rand(4, 1, 32, 32) * 2 - 1, _hole(4, 32, 32)
    assert G(x, m).std() > 0.1


def test_two_stage_outputs_every_stage():
    G = _tiny("gated2", 1)
    x, m = torch.rand(2, 1, 16, 16), _hole(2, 16, 16)
    coarse, fine = G.forward_stages(x, m)
    assert torch.equal(fine, G(x, m)) and coarse.shape == fine.shape


def test_registry_and_multiples():
    assert GENERATORS["gated"] is GatedGenerator and GENERATORS["partial"] is PartialConvUNet
    assert GatedGenerator(1, 4).multiple == 4 and PartialConvUNet(1, 4, depth=5).multiple == 32


def test_partial_conv_renormalises_and_updates_the_mask():
    # One input channel, a 3x3 window of ones, bias 0.5: over a window with k of 9 pixels known
    # the output is (sum of the known values) * 9 / k + 0.5, and 0 where nothing is known.
    pc = PartialConv2d(1, 1, 3)
    with torch.no_grad():
        pc.conv.weight.fill_(1.0)
        pc.conv.bias.fill_(0.5)
    x = torch.full((1, 1, 5, 5), 2.0)
    valid = torch.ones(1, 1, 5, 5)
    valid[..., :, :3] = 0  # the three left columns unknown
    y, v = pc(x, valid)
    # Centre (2, 2): its window covers columns 1-3, of which column 3 is known: 3 of 9.
    assert torch.isclose(y[0, 0, 2, 2], torch.tensor(2.0 * 3 * 9 / 3 + 0.5))
    # Columns 0 and 1 see nothing known (windows -1..1 and 0..2): output 0, mask 0.
    assert y[0, 0, 2, 1] == 0 and v[0, 0, 2, 1] == 0 and v[0, 0, 2, 2] == 1
    # The border: zero padding counts as unknown, so a fully known corner window is 4 of 9.
    assert torch.isclose(y[0, 0, 0, 4], torch.tensor(2.0 * 4 * 9 / 4 + 0.5))


def test_partial_conv_counts_per_channel_masks():
    pc = PartialConv2d(2, 1, 1, bias=False)
    with torch.no_grad():
        pc.conv.weight.fill_(1.0)
    x = torch.ones(1, 2, 1, 1)
    y, _ = pc(x, torch.tensor([1.0, 0.0]).view(1, 2, 1, 1))  # one channel of two known
    assert torch.isclose(y[0, 0, 0, 0], torch.tensor(1.0 * 2 / 1))


def test_composite_copies_known_pixels_bit_for_bit():
    img = torch.rand(2, 3, 8, 8)
    out = torch.full_like(img, float("inf"))
    m = _hole(2, 8, 8)
    c = composite(out, img, m)
    assert torch.equal(c[(m == 0).expand_as(c)], img[(m == 0).expand_as(img)])
    assert torch.isinf(c[(m == 1).expand_as(c)]).all()


@pytest.mark.parametrize("kind", ["gated", "gated2", "partial"])
def test_receptive_field_is_the_computed_context(kind):
    # Along the width of a strip one multiple high: the input columns an output column depends
    # on, by the gradient, reach exactly `context` away for some phase, never farther. Half the
    # pixels are missing at random, so the refinement stage reads the coarse one.
    G = _tiny(kind, 1).double()
    c, k = G.context, G.multiple
    W = (2 * c + 4 * k) // k * k
    gen = torch.Generator().manual_seed(0)
    x = (torch.rand(1, 1, k, W, dtype=torch.float64) * 2 - 1).requires_grad_()
    m = (torch.rand(1, 1, k, W, generator=gen) < 0.5).double()
    far = 0
    for col in range(c + k, c + 2 * k):  # one period of phases, away from both borders
        (g,) = torch.autograd.grad(G(x, m)[0, 0, :, col].sum(), x)
        cols = g[0, 0].abs().sum(0).nonzero().flatten()
        far = max(far, col - int(cols.min()), int(cols.max()) - col)
    assert far == c
    # And perturbing a pixel one step beyond leaves the output pixel as it was.
    with torch.no_grad():
        col = c + k
        y = G(x, m)[0, 0, :, col]
        x2 = x.detach().clone()
        x2[..., col + c + 1] += 5.0
        x2[..., col - c - 1] -= 5.0
        assert torch.allclose(G(x2, m)[0, 0, :, col], y, atol=1e-12, rtol=0)
