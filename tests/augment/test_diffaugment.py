"""DiffAugment ops against the reference's formulas and independent pixel operations."""

import pytest
import torch

from ganforge.augment import diffaugment as da


def _images(b=4, c=3, h=28, w=40, seed=0):
    return torch.rand(b, c, h, w, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def _gen(seed=1):
    return torch.Generator().manual_seed(seed)


# ----------------------------------------------------------------------------- colour


def test_brightness_adds_exactly_the_drawn_constant():
    x = _images(c=4)
    out = da.rand_color(x, _gen())
    # Replay the draws of rand_color: brightness b - 0.5, saturation 2u, contrast u + 0.5.
    g = _gen()
    b, s, c = (torch.rand(4, generator=g) for _ in range(3))
    y = x[:, :3] + (b - 0.5)[:, None, None, None]
    assert torch.equal(da.brightness(x, b - 0.5)[:, :3], y)
    m = y.mean(1, keepdim=True)
    y = m + (y - m) * (2 * s)[:, None, None, None]
    m = y.mean((1, 2, 3), keepdim=True)
    y = m + (y - m) * (c + 0.5)[:, None, None, None]
    torch.testing.assert_close(out[:, :3], y)
    assert torch.equal(out[:, 3], x[:, 3])  # alpha untouched


def test_saturation_keeps_the_pixel_mean_and_contrast_the_image_mean():
    x = _images()
    s = torch.tensor([0.0, 0.5, 1.0, 1.9])
    out = da.saturation(x, s)
    torch.testing.assert_close(out.mean(1), x.mean(1))
    torch.testing.assert_close(out[2], x[2])  # s = 1: identity
    assert torch.allclose(out[0], out[0].mean(0, keepdim=True).expand(3, -1, -1))  # s = 0: grey
    c = torch.tensor([0.5, 1.0, 1.2, 1.5])
    out = da.contrast(x, c)
    torch.testing.assert_close(out.mean((1, 2, 3)), x.mean((1, 2, 3)))
    torch.testing.assert_close(
        out - out.mean((1, 2, 3), keepdim=True),
        (x - x.mean((1, 2, 3), keepdim=True)) * c[:, None, None, None],
    )


def test_grayscale_saturation_is_the_identity():
    x = _images(c=1)
    torch.testing.assert_close(da.saturation(x, torch.full((4,), 1.7)), x)


def test_random_brightness_moves_each_image_by_one_constant_of_at_most_half():
    # What the reference guarantees about range: |b| <= 0.5, the same for every pixel and channel.
    x = _images(b=64)
    b = torch.rand(64, generator=_gen()) - 0.5
    d = da.brightness(x, b) - x
    assert d.abs().max() <= 0.5 + 1e-6
    torch.testing.assert_close(d, b[:, None, None, None].expand_as(d), atol=1e-6, rtol=0)


# ----------------------------------------------------------------------------- geometry


def _shift_zero_fill(img, dy, dx):
    # Independent twin: torch.roll, then blank what wrapped around.
    out = torch.roll(img, shifts=(dy, dx), dims=(-2, -1)).clone()
    if dy > 0:
        out[..., :dy, :] = 0
    elif dy < 0:
        out[..., dy:, :] = 0
    if dx > 0:
        out[..., :, :dx] = 0
    elif dx < 0:
        out[..., :, dx:] = 0
    return out


def test_translate_equals_roll_with_zero_fill():
    x = _images(c=4)
    ty, tx = torch.tensor([0, 3, -3, 2]), torch.tensor([5, -5, 0, -1])
    out = da.translate(x, ty, tx)
    for i in range(4):
        assert torch.equal(out[i], _shift_zero_fill(x[i], int(ty[i]), int(tx[i])))


def test_random_translation_stays_within_an_eighth_of_each_side():
    x = _images(b=16, h=28, w=40) + 3  # positive everywhere: the zero fill shows the shift
    out = da.rand_translation(x, _gen())
    for i in range(16):
        matches = [
            (dy, dx)
            for dy in range(-3, 4)  # 28 // 8 = 3
            for dx in range(-5, 6)  # 40 // 8 = 5
            if torch.equal(out[i], _shift_zero_fill(x[i], dy, dx))
        ]
        assert len(matches) == 1


def test_cutout_equals_slice_assignment():
    x = _images(c=4)
    top, left = torch.tensor([-3, 0, 10, 20]), torch.tensor([5, -10, 30, 0])
    out = da.cutout(x, top, left, (14, 20))
    for i in range(4):
        want = x[i].clone()
        t, l = int(top[i]), int(left[i])
        want[:, max(t, 0) : max(t + 14, 0), max(l, 0) : max(l + 20, 0)] = 0
        assert torch.equal(out[i], want)


def test_random_cutout_blanks_one_clipped_half_size_rectangle():
    x = _images(b=32, h=28, w=40) + 3
    out = da.rand_cutout(x, _gen())
    holes = out == 0  # (B, C, H, W)
    assert torch.equal(holes, holes[:, :1].expand_as(holes))  # all channels alike
    for i in range(32):
        rows = holes[i, 0].any(1).nonzero().flatten()
        cols = holes[i, 0].any(0).nonzero().flatten()
        assert 7 <= len(rows) <= 14 and 10 <= len(cols) <= 20  # at least half the hole is inside
        assert holes[i, 0].sum() == len(rows) * len(cols)  # a rectangle
        assert torch.equal(out[i][~holes[i]], x[i][~holes[i]])


# ----------------------------------------------------------------------------- the policy


POLICIES = ["color", "translation", "cutout", "color,translation,cutout"]


@pytest.mark.parametrize("c", [1, 3, 4])
@pytest.mark.parametrize("hw", [(28, 40), (32, 32)])
def test_keeps_shape_dtype_and_device(c, hw):
    x = _images(c=c, h=hw[0], w=hw[1])
    out = da.diff_augment(x, "color,translation,cutout", _gen())
    assert out.shape == x.shape and out.dtype == x.dtype and out.device == x.device
    assert not torch.equal(out, x)


@pytest.mark.parametrize("policy", POLICIES)
def test_differentiable_with_respect_to_the_images(policy):
    x = _images().requires_grad_(True)
    (grad,) = torch.autograd.grad(da.diff_augment(x, policy, _gen()).square().sum(), x)
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0


@pytest.mark.parametrize("policy", POLICIES)
def test_same_seed_same_output_other_seed_other_output(policy):
    x = _images()
    a, b = da.diff_augment(x, policy, _gen(5)), da.diff_augment(x, policy, _gen(5))
    assert torch.equal(a, b)
    assert not torch.equal(a, da.diff_augment(x, policy, _gen(6)))


def test_geometric_ops_stay_in_range_and_colour_leaves_alpha():
    x = _images(b=16, c=4)
    out = da.diff_augment(x, "translation,cutout", _gen())
    assert out.min() >= -1 and out.max() <= 1
    out = da.diff_augment(x, "color", _gen())
    assert torch.equal(out[:, 3], x[:, 3])


def test_empty_policy_is_the_identity_and_unknown_names_fail():
    x = _images()
    assert da.diff_augment(x, "", _gen()) is x
    with pytest.raises(ValueError, match="unknown DiffAugment policy 'colour'"):
        da.diff_augment(x, "colour", _gen())
