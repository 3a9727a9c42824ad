"""losses/inpainting.py: the hole-weighted reconstruction losses against hand computations."""

import math

import torch

from ganforge.losses.inpainting import hole_l1, hole_l2, hole_tv, masked_l1, valid_l1


def _case():
    # One 1 x 2 x 2 image: errors 1, -2, 3, -4 (row-major); the right column is missing.
    target = torch.zeros(1, 1, 2, 2)
    fake = torch.tensor([[[[1.0, -2.0], [3.0, -4.0]]]])
    mask = torch.tensor([[[[0.0, 1.0], [0.0, 1.0]]]])
    return fake, target, mask


def test_l1_terms_by_hand():
    fake, target, mask = _case()
    # Liu et al.'s normalisation: by all C H W = 4 elements, not by the hole's 2.
    assert math.isclose(hole_l1(fake, target, mask).item(), (2 + 4) / 4)
    assert math.isclose(valid_l1(fake, target, mask).item(), (1 + 3) / 4)
    assert math.isclose(masked_l1(fake, target, mask).item(), 6 * 6 / 4 + 4 / 4)
    assert math.isclose(masked_l1(fake, target, mask, 1.0, 1.0).item(), 10 / 4)  # plain L1
    assert math.isclose(hole_l2(fake, target, mask).item(), (4 + 16) / 4)


def test_mask_broadcasts_over_channels_and_gradients_only_where_weighted():
    fake = torch.randn(2, 3, 4, 4, requires_grad=True)
    target = torch.randn(2, 3, 4, 4)
    mask = torch.zeros(2, 1, 4, 4)
    mask[..., :2, :] = 1
    hole_l1(fake, target, mask).backward()
    assert (fake.grad[..., 2:, :] == 0).all() and (fake.grad[..., :2, :] != 0).all()
    expected = ((fake - target).abs() * mask).sum() / fake.numel()
    assert torch.isclose(hole_l1(fake, target, mask), expected)


def test_hole_tv_by_hand():
    # A 1 x 1 x 3 x 3 ramp 0..8 (row-major); the hole is the centre, dilated to the whole image.
    img = torch.arange(9.0).view(1, 1, 3, 3)
    mask = torch.zeros(1, 1, 3, 3)
    mask[..., 1, 1] = 1
    # Horizontal differences are 1 (6 pairs), vertical 3 (6 pairs): (6 + 18) / 9.
    assert math.isclose(hole_tv(img, mask).item(), 24 / 9, rel_tol=1e-6)
    corner = torch.zeros(1, 1, 3, 3)
    corner[..., 0, 0] = 1  # P = the top-left 2 x 2: the 4 + 4 pairs starting there
    assert math.isclose(hole_tv(img, corner).item(), (4 * 1 + 4 * 3) / 9, rel_tol=1e-6)
