"""warp_affine against independent pixel operations: flip, rot90, reflect-padded integer shifts."""

import math

import pytest
import torch
import torch.nn.functional as F

from ganforge.augment import matrices as M
from ganforge.augment.warp import warp_affine


def _images(b=3, c=3, h=28, w=40, seed=0):
    return torch.rand(b, c, h, w, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def test_identity_matrix_reproduces_the_image():
    x = _images()
    torch.testing.assert_close(warp_affine(x, torch.eye(3).repeat(3, 1, 1)), x)


@pytest.mark.parametrize("hw", [(28, 40), (32, 32)])
def test_mirror_equals_flip(hw):
    x = _images(h=hw[0], w=hw[1])
    ones = torch.ones(3)
    torch.testing.assert_close(warp_affine(x, M.scale2d(-ones, ones)), x.flip(-1))
    torch.testing.assert_close(warp_affine(x, M.scale2d(ones, -ones)), x.flip(-2))


@pytest.mark.parametrize("k", [1, 2, 3])
def test_quarter_turn_equals_rot90(k):
    x = _images(h=32, w=32)
    g_inv = M.rotate90_2d(torch.full((3,), float(k)))
    torch.testing.assert_close(warp_affine(x, g_inv), torch.rot90(x, k, dims=(-2, -1)))


def test_half_turn_on_non_square_images_is_exact():
    x = _images(h=28, w=40)
    g_inv = M.rotate90_2d(torch.full((3,), 2.0))
    torch.testing.assert_close(warp_affine(x, g_inv), x.flip(-1).flip(-2))


def test_integer_translation_equals_reflect_padding_and_crop():
    # Per sample a different shift, checked one image at a time with F.pad(mode="reflect").
    x = _images(h=28, w=40)
    tx, ty = torch.tensor([3.0, -5.0, 0.0]), torch.tensor([-2.0, 4.0, 7.0])
    out = warp_affine(x, M.translate2d(-tx, -ty))  # G^-1 moves back: content moves by +t
    for i in range(3):
        dx, dy = int(tx[i]), int(ty[i])
        padded = F.pad(x[i : i + 1], (max(dx, 0), max(-dx, 0), max(dy, 0), max(-dy, 0)), "reflect")
        y0, x0 = max(-dy, 0), max(-dx, 0)
        want = padded[..., y0 : y0 + 28, x0 : x0 + 40]
        torch.testing.assert_close(out[i : i + 1], want)


def test_general_affine_stays_in_range_and_is_differentiable():
    x = _images().requires_grad_(True)
    theta = torch.tensor([0.4, -1.2, 2.8])
    g_inv = M.rotate2d(theta) @ M.scale2d(torch.full((3,), 1.7), torch.full((3,), 0.6))
    out = warp_affine(x, g_inv)
    # Bilinear weights are convex: every output lies within the input's range.
    assert out.min() >= x.min() - 1e-6 and out.max() <= x.max() + 1e-6
    (grad,) = torch.autograd.grad(out.square().sum(), x)
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0


def test_rotation_moves_a_dot_where_the_matrix_says():
    # Independent of grid conventions: a bright pixel at (x, y) must land at G (x, y).
    x = torch.full((1, 1, 33, 33), -1.0)
    x[0, 0, 16 - 8, 16 + 4] = 1.0  # pixel-centred (4, -8): row 8, column 20
    theta = torch.tensor([math.pi / 2])
    out = warp_affine(x, M.rotate2d(-theta))  # G = rotate2d(theta): (4, -8) -> (8, 4)
    row, col = divmod(int(out.flatten().argmax()), 33)
    assert (col - 16, row - 16) == (8, 4)


def test_half_precision_input_keeps_its_dtype():
    x = _images().to(torch.bfloat16)
    out = warp_affine(x, M.scale2d(-torch.ones(3), torch.ones(3)))
    assert out.dtype == torch.bfloat16
    torch.testing.assert_close(out, x.flip(-1))
