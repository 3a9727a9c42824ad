"""The ADA pipeline: identity at p = 0, shapes, range, alpha, determinism, independent twins."""

import math

import pytest
import torch
import torch.nn.functional as F

from ganforge.augment import ada
from ganforge.augment import matrices as M
from ganforge.augment.ada import AdaStrengths, ada_augment


def _images(b=8, c=3, h=28, w=40, seed=0):
    return torch.rand(b, c, h, w, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def _gen(seed=1):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("groups", ["b", "g", "c", "bgc"])
def test_p_zero_is_the_identity(groups):
    x = _images(c=4)
    assert ada_augment(x, 0.0, _gen(), groups) is x  # float 0: no work at all
    assert torch.equal(ada_augment(x, torch.tensor(0.0), _gen(), groups), x)  # device p = 0


@pytest.mark.parametrize("c", [1, 3, 4])
@pytest.mark.parametrize("hw", [(28, 40), (32, 32)])
def test_keeps_shape_dtype_and_changes_the_images(c, hw):
    x = _images(c=c, h=hw[0], w=hw[1])
    out = ada_augment(x, 1.0, _gen())
    assert out.shape == x.shape and out.dtype == x.dtype and out.device == x.device
    changed = (out != x).flatten(1).any(1)
    assert changed.all()


@pytest.mark.parametrize("groups", ["b", "g", "c"])
def test_each_group_is_differentiable(groups):
    x = _images().requires_grad_(True)
    out = ada_augment(x, 1.0, _gen(), groups)
    (grad,) = torch.autograd.grad(out.square().sum(), x)
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0


def test_geometric_groups_stay_in_range():
    x = _images(b=32)
    out = ada_augment(x, 1.0, _gen(), "bg")
    assert out.min() >= -1 - 1e-5 and out.max() <= 1 + 1e-5


@pytest.mark.parametrize("groups", ["bg", "c", "bgc"])
def test_same_seed_same_output(groups):
    x = _images()
    a = ada_augment(x, 0.7, _gen(3), groups)
    assert torch.equal(a, ada_augment(x, 0.7, _gen(3), groups))
    assert not torch.equal(a, ada_augment(x, 0.7, _gen(4), groups))


def _dihedral(img, flip, k):
    return torch.rot90(img.flip(-1) if flip else img, k, (-2, -1))


def _close(a, b):
    # Pixel coordinates pass through float32 normalisation: a few 1e-6 of resampling error.
    return torch.allclose(a, b, atol=2e-5, rtol=0)


def test_blit_without_translation_is_one_of_the_eight_dihedral_images():
    # An independent twin: x-flip and quarter turns on a square image are torch.flip / rot90.
    x = _images(b=64, h=32, w=32)
    out = ada_augment(x, 1.0, _gen(), "b", AdaStrengths(xint_max=0.0))
    seen = set()
    for i in range(64):
        hits = [(f, k) for f in (0, 1) for k in range(4) if _close(out[i], _dihedral(x[i], f, k))]
        assert len(hits) == 1
        seen.add(hits[0])
    assert len(seen) == 8


def test_blit_is_a_dihedral_map_then_a_reflect_padded_shift_of_at_most_an_eighth():
    x = _images(b=16, h=32, w=32)
    out = ada_augment(x, 1.0, _gen(), "b")
    errors = []  # per (flip, k): (B, 9, 9) max error against every shift in [-4, 4]^2
    for f in (0, 1):
        for k in range(4):
            # Mirror padding as F.pad(mode="reflect"), then every 32x32 window = every shift.
            padded = F.pad(_dihedral(x, f, k), (4, 4, 4, 4), mode="reflect")  # (B, C, 40, 40)
            windows = padded.unfold(2, 32, 1).unfold(3, 32, 1)  # (B, C, 9, 9, 32, 32)
            diff = (windows - out[:, :, None, None]).abs()
            errors.append(diff.amax(dim=(1, 4, 5)))
    hits = torch.stack(errors, 1) < 2e-5  # (B, 8, 9, 9)
    assert (hits.flatten(1).sum(1) == 1).all()  # exactly one (flip, k, shift) per sample


def test_probability_is_per_sample():
    # At small p most samples draw no transform at all and come back bit-identical; not all do.
    x = _images(b=64)
    out = ada_augment(x, 0.05, _gen(), "bgc")
    same = (out == x).flatten(1).all(1)
    # 12 gated draws (rotation: two at 1 - sqrt(1 - p)): P(untouched) = 0.95 ** 12 = 0.54.
    assert 16 < int(same.sum()) < 56


def test_alpha_moves_with_the_image_and_is_left_by_colour():
    x = _images(c=4)
    out = ada_augment(x, 1.0, _gen(), "bg")
    # Geometry draws do not depend on the channel count: alpha alone warps the same way.
    torch.testing.assert_close(out[:, 3:], ada_augment(x[:, 3:], 1.0, _gen(), "bg"))
    torch.testing.assert_close(out[:, :3], ada_augment(x[:, :3], 1.0, _gen(), "bg"))
    out = ada_augment(x, 1.0, _gen(), "c")
    assert torch.equal(out[:, 3], x[:, 3])
    torch.testing.assert_close(out[:, :3], ada_augment(x[:, :3], 1.0, _gen(), "c"))


def _draw(b, p=1.0, seed=1):
    return ada.Draws(b, torch.tensor(p), _gen(seed), torch.device("cpu"))


def test_grayscale_colour_is_brightness_contrast_and_luma_flip():
    # For one channel the matrix reduces to l -> gain * l + offset with a sign flip at most:
    # the luma subset; hue and saturation are not drawn.
    m = ada.color_matrix(1, _draw(256))
    row = m[:, :3, :].mean(1)
    # No cross-talk: the three colour rows agree (only luma ops were composed).
    torch.testing.assert_close(m[:, 0, :3].sum(1), row[:, :3].sum(1))
    torch.testing.assert_close(m[:, :3, 3], row[:, 3:].expand(256, 3))
    flipped = row[:, :3].sum(1) < 0
    assert 0 < int(flipped.sum()) < 256  # luma flip with probability 1/2 when applied


def test_colour_matrix_pieces_behave_like_their_names():
    # Hue rotation keeps luma; at p = 1 the grey axis is only scaled, shifted or flipped.
    m = ada.color_matrix(3, _draw(64))
    grey = torch.tensor([1.0, 1.0, 1.0, 0.0]) / math.sqrt(3)
    mapped = m @ grey  # direction of the grey axis after C (no offset: w = 0)
    torch.testing.assert_close(mapped[:, :3], mapped[:, :1].expand(64, 3), atol=1e-5, rtol=1e-5)


def test_geometry_matrix_is_identity_at_p_zero_and_rotates_at_one():
    eye = torch.eye(3).expand(16, 3, 3)
    assert torch.equal(ada.geometry_matrix(28, 40, _draw(16, p=0.0)), eye)
    g = ada.geometry_matrix(28, 40, _draw(16, p=1.0))
    assert not torch.isclose(g, eye).flatten(1).all(1).any()


def test_rejects_unknown_groups():
    with pytest.raises(ValueError, match="unknown ADA groups 'x'"):
        ada_augment(_images(), 1.0, _gen(), "bx")


class _FixedDraw(ada.Draws):
    """Every uniform draw is ``u`` and every normal draw ``n``: the reference's debug_percentile."""

    def __init__(self, b, p, u, n):
        super().__init__(b, torch.tensor(p), None, torch.device("cpu"))
        self.u, self.n = u, n

    def rand(self, *shape):
        return torch.full((self.b, *shape), self.u)

    def randn(self, *shape):
        return torch.full((self.b, *shape), self.n)


def test_geometry_composes_the_papers_transforms_in_order():
    # u = 0.75 < p: every transform on; flip = floor(1.5) = 1, k = floor(3) = 3 quarter turns,
    # integer shift round((2u - 1) 0.125 * side), rotation angle (2u - 1) pi, normal draws n.
    u, n, h, w = 0.75, 0.5, 28, 40
    g = ada.geometry_matrix(h, w, _FixedDraw(2, 1.0, u, n))
    one = torch.ones(2)
    iso, aniso = 2 ** (n * 0.2), 2 ** (n * 0.2)
    theta = torch.full((2,), (2 * u - 1) * math.pi)
    want = (
        M.scale2d(-one, one)  # x-flip
        @ M.rotate90_2d(3 * one)
        @ M.translate2d(-round(0.0625 * w) * one, -round(0.0625 * h) * one)
        @ M.scale2d(one / iso, one / iso)
        @ M.rotate2d(theta)
        @ M.scale2d(one / aniso, one * aniso)
        @ M.rotate2d(theta)
        @ M.translate2d(-n * 0.125 * w * one, -n * 0.125 * h * one)
    )
    torch.testing.assert_close(g, want)
    # With u above p nothing is drawn in: the identity.
    assert torch.equal(
        ada.geometry_matrix(h, w, _FixedDraw(2, 0.5, u, n)), torch.eye(3).expand(2, 3, 3)
    )


def test_colour_composes_the_papers_transforms_in_order():
    u, n = 0.75, 0.5
    c = ada.color_matrix(3, _FixedDraw(2, 1.0, u, n))
    one = torch.ones(2)
    v = M.luma_axis()
    vv = torch.outer(v, v)
    b, gain, sat = n * 0.2, 2 ** (n * 0.5), 2 ** (n * 1.0)
    want = (
        (vv + (torch.eye(4) - vv) * sat)  # saturation, last
        @ M.rotate3d(v, torch.full((2,), (2 * u - 1) * math.pi))  # hue
        @ (torch.eye(4) - 2 * vv)  # luma flip: floor(2u) = 1
        @ M.scale3d(gain * one, gain * one, gain * one)  # contrast
        @ M.translate3d(b * one, b * one, b * one)  # brightness, first
    )
    torch.testing.assert_close(c, want)
    # Grayscale: only brightness, contrast and luma flip (hue and saturation are not composed).
    luma_only = (
        (torch.eye(4) - 2 * vv)
        @ M.scale3d(gain * one, gain * one, gain * one)
        @ M.translate3d(b * one, b * one, b * one)
    )
    torch.testing.assert_close(ada.color_matrix(1, _FixedDraw(2, 1.0, u, n)), luma_only)
