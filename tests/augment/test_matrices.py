"""Matrix helpers: composition, exact quarter turns, colour rotation about the grey axis."""

import math

import torch

from ganforge.augment import matrices as M


def test_2d_helpers_compose_like_the_transforms_they_name():
    t = torch.tensor([0.3, -1.0])
    # Rotating by t then by -t, scaling by s then 1/s, moving by d then -d: all the identity.
    eye = torch.eye(3).expand(2, 3, 3)
    torch.testing.assert_close(M.rotate2d(t) @ M.rotate2d(-t), eye)
    s = torch.tensor([2.0, 0.5])
    torch.testing.assert_close(M.scale2d(s, 1 / s) @ M.scale2d(1 / s, s), eye)
    torch.testing.assert_close(M.translate2d(t, s) @ M.translate2d(-t, -s), eye)
    # A translation moves the point (0, 0) to (tx, ty).
    origin = torch.tensor([0.0, 0.0, 1.0])
    torch.testing.assert_close(M.translate2d(t, s) @ origin, torch.stack([t, s, torch.ones(2)], 1))


def test_rotate90_is_exact_and_equals_rotate2d():
    k = torch.tensor([0.0, 1.0, 2.0, 3.0, 4.0, -1.0])
    r = M.rotate90_2d(k)
    assert set(r.unique().tolist()) <= {-1.0, 0.0, 1.0}  # exact entries, no 1e-8 residue
    torch.testing.assert_close(r, M.rotate2d(k * math.pi / 2), atol=1e-6, rtol=0)


def test_rotate3d_about_luma_is_orthonormal_and_fixes_grey():
    v = M.luma_axis()
    theta = torch.tensor([0.0, 0.7, -2.5, math.pi])
    r = M.rotate3d(v, theta)  # (4, 4, 4)
    torch.testing.assert_close(r[0], torch.eye(4), atol=0, rtol=0)  # theta = 0: exactly I
    torch.testing.assert_close(r @ r.transpose(1, 2), torch.eye(4).expand(4, 4, 4))
    grey = torch.tensor([0.3, 0.3, 0.3, 1.0])
    torch.testing.assert_close(r @ grey, grey.expand(4, 4))
    # Against an independent construction: the matrix exponential of theta [v]x.
    k = torch.tensor([[0, -1, 1], [1, 0, -1], [-1, 1, 0]], dtype=torch.float32) / math.sqrt(3)
    want = torch.linalg.matrix_exp(0.7 * k)
    torch.testing.assert_close(r[1, :3, :3], want)
