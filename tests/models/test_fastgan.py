"""models/fastgan.py: sizes and refusals, SLE, the discriminator's reconstructions, conditioning."""

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.losses.self_supervised import decoder_reconstruction
from ganforge.models.fastgan import (
    FastGANDiscriminator,
    FastGANGenerator,
    SkipLayerExcitation,
    fastgan_grid,
    fastgan_widths,
    quadrants,
)
from ganforge.models.spectral_norm import power_iteration_, spectral_layers


def _pair(h, w, channels, num_classes=0, **kw):
    g_widths, d_widths = fastgan_widths(h, w, base_width=4, max_width=16)
    G = FastGANGenerator(8, channels, h, w, g_widths, num_classes=num_classes, **kw)
    D = FastGANDiscriminator(channels, h, w, d_widths, decoder_width=8, num_classes=num_classes)
    return G, D


@pytest.mark.parametrize(
    "size,grid",
    [((32, 32), (3, 4, 4)), ((64, 64), (4, 4, 4)), ((128, 128), (5, 4, 4))]
    + [((64, 96), (4, 4, 6)), ((48, 64), (4, 3, 4)), ((24, 24), (3, 3, 3))],
)
def test_grid_is_the_smallest_basis_with_at_least_three_stages(size, grid):
    assert fastgan_grid(*size) == grid


@pytest.mark.parametrize("size", [(28, 28), (16, 16), (100, 100), (32, 256)])
def test_unusable_sizes_are_one_line_errors(size):
    with pytest.raises(GanforgeError) as e:
        fastgan_grid(*size)
    assert "\n" not in str(e.value) and f"{size[0]}x{size[1]}" in str(e.value)


def test_wrong_width_lists_are_one_line_errors():
    with pytest.raises(GanforgeError, match="needs 5 positive entries"):
        FastGANGenerator(8, 3, 64, 64, widths=[8, 8])
    with pytest.raises(GanforgeError, match="needs 3 positive entries"):
        FastGANDiscriminator(3, 64, 64, widths=[8, 8])
    with pytest.raises(GanforgeError, match="sle_gap"):
        FastGANGenerator(8, 3, 32, 32, sle_gap=4)


def test_default_widths_halve_towards_the_image():
    assert fastgan_widths(64, 64) == ([256, 128, 64, 32, 16], [32, 64, 128])
    assert fastgan_widths(32, 32, base_width=8, max_width=32) == ([32, 32, 16, 8], [16, 32])


@pytest.mark.parametrize(
    "size,channels",
    [((32, 32), 1), ((32, 32), 3), ((32, 32), 4), ((64, 64), 4), ((128, 128), 3), ((64, 96), 4)],
)
def test_shapes_range_and_backward(size, channels):
    torch.manual_seed(0)
    h, w = size
    G, D = _pair(h, w, channels)
    assert G.z_dim == 8
    x = G(torch.randn(2, 8))
    assert x.shape == (2, channels, h, w) and x.abs().max() <= 1  # tanh: [-1, 1]
    out = D(x, reconstruct=True)
    k, h0, w0 = fastgan_grid(h, w)
    assert out.logits.shape == (2, (2 * h0 - 3) * (2 * w0 - 3))  # 4x4 valid conv on 2 h0 x 2 w0
    assert torch.allclose(out.logits, D(x), atol=1e-6)  # the same logits as a plain call
    r = 2 ** min(2, k - 2)  # the decoders' upsampling: 8x8 -> 32x32 at 64 px
    for rec, target in zip(out.recons, out.targets):
        assert rec.shape == target.shape == (2, channels, 2 * h0 * r, 2 * w0 * r)
    (out.logits.mean() + decoder_reconstruction(out.recons, out.targets)).backward()
    assert G.init.parametrizations.weight.original.grad.abs().sum() > 0  # through D into G
    assert D.from_image[0].parametrizations.weight.original.grad.abs().sum() > 0
    for dec in (D.decode_whole, D.decode_part):
        assert dec.to_image.parametrizations.weight.original.grad.abs().sum() > 0


def test_sle_gates_each_channel_of_the_high_map_by_the_low_one():
    torch.manual_seed(0)
    sle = SkipLayerExcitation(6, 5, spectral_norm=False)
    high = torch.randn(2, 5, 16, 16)
    for low_size in [(4, 4), (3, 3), (4, 6), (8, 8)]:  # any low size: adaptive pooling to 4x4
        low = torch.randn(2, 6, *low_size)
        out = sle(low, high)
        gate = out / high  # (B, C, H, W): one value per channel, in (0, 1)
        assert torch.allclose(gate, gate[:, :, :1, :1].expand_as(gate), atol=1e-5)
        assert (gate > 0).all() and (gate < 1).all()
        assert torch.allclose(out, high * sle.gate(low))
    # the low map decides the gate: another low map, another gate; the high map does not
    a, b = torch.randn(2, 6, 4, 4), torch.randn(2, 6, 4, 4)
    assert not torch.allclose(sle(a, high) / high, sle(b, high) / high)
    assert torch.allclose(sle(a, high) / high, sle(a, 2 * high) / (2 * high), atol=1e-6)


@pytest.mark.parametrize("size,gap,pairs", [(32, 3, [3]), (64, 4, [4]), (128, 4, [4, 5])])
def test_generator_sle_jumps_16x_or_the_whole_network(size, gap, pairs):
    G = FastGANGenerator(8, 3, size, size, fastgan_widths(size, size, 4, 16)[0])
    assert G.sle_gap == gap and sorted(int(i) for i in G.sle) == pairs
    # the SLE changes the output: with its gate forced open (1) the image differs
    torch.manual_seed(0)
    z = torch.randn(2, 8)
    G.eval()
    ref = G(z)
    for m in G.sle.values():
        m.gate[-2].parametrizations.weight.original.data.zero_()  # gate = sigmoid(0) = 0.5
    assert not torch.allclose(ref, G(z))


def test_two_conv_up_blocks_alternate_from_8px():
    G = FastGANGenerator(8, 3, 64, 64, fastgan_widths(64, 64, 4, 16)[0])
    convs = [sum(isinstance(m, torch.nn.Conv2d) for m in up.modules()) for up in G.ups]
    assert convs == [2, 1, 2, 1]  # 8 px two convs (UpBlockComp), 16 one, ...


def test_reconstruction_targets_are_the_pooled_input_and_the_drawn_quadrant():
    torch.manual_seed(0)
    _, D = _pair(64, 64, 3)
    x = torch.randn(4, 3, 64, 64, requires_grad=True)
    out = D(x, reconstruct=True, gen=torch.Generator().manual_seed(1))
    again = D(x, reconstruct=True, gen=torch.Generator().manual_seed(1))
    assert torch.equal(out.quadrant, again.quadrant)  # drawn from gen
    whole, part = out.targets
    assert not whole.requires_grad and not part.requires_grad  # constants of the loss
    assert torch.allclose(whole, x.detach().view(4, 3, 32, 2, 32, 2).mean(dim=(3, 5)), atol=1e-6)
    for i, q in enumerate(out.quadrant.tolist()):
        top, left = 32 * (q // 2), 32 * (q % 2)
        assert torch.equal(part[i], x.detach()[i, :, top : top + 32, left : left + 32])


def test_quadrants_order():
    x = torch.arange(16.0).view(1, 1, 4, 4)
    q = quadrants(x)
    assert q.shape == (1, 4, 1, 2, 2)
    assert q[0, :, 0, 0, 0].tolist() == [0.0, 2.0, 8.0, 10.0]  # TL, TR, BL, BR corners


def test_decoders_are_unused_without_reconstruct():
    _, D = _pair(32, 32, 3)
    D(torch.randn(2, 3, 32, 32)).mean().backward()
    assert all(p.grad is None for p in D.decode_whole.parameters())


def test_conditional_needs_labels_and_uses_them():
    torch.manual_seed(0)
    G, D = _pair(32, 32, 3, num_classes=5)
    z = torch.randn(2, 8)
    with pytest.raises(ValueError, match="labels"):
        G(z)
    with pytest.raises(ValueError, match="labels"):
        D(torch.randn(2, 3, 32, 32))
    G.eval()
    x0, x1 = G(z, torch.tensor([0, 0])), G(z, torch.tensor([1, 1]))
    assert not torch.allclose(x0, x1)
    with torch.no_grad():
        D.embed.weight.normal_()
    assert not torch.allclose(D(x0, torch.tensor([0, 0])), D(x0, torch.tensor([1, 1])))


def test_spectral_norm_everywhere_and_optional():
    G, D = _pair(32, 32, 3)
    layers = spectral_layers(D)
    assert len(layers) >= 10 and len(spectral_layers(G)) > 5
    power_iteration_(layers)  # the tasks' one iteration per update runs
    G = FastGANGenerator(8, 3, 32, 32, fastgan_widths(32, 32, 4, 16)[0], spectral_norm=False)
    assert spectral_layers(G) == []


def test_bf16_autocast_forward():
    G, D = _pair(32, 32, 4)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = D(G(torch.randn(2, 8)), reconstruct=True)
        loss = decoder_reconstruction(out.recons, out.targets)
    assert loss.dtype == torch.float32 and torch.isfinite(loss)


def test_spectral_norm_estimates_start_from_the_initialised_weights():
    torch.manual_seed(0)
    _, D = _pair(32, 32, 3)
    for sn, w in spectral_layers(D):
        m = sn._matrix(w.detach())
        sigma = torch.vdot(sn._u, torch.mv(m, sn._v))
        assert torch.isclose(sigma, torch.linalg.matrix_norm(m, ord=2), rtol=0.05)
