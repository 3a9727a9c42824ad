"""masks/strokes.py: brush strokes whose share lies in the band, seeded, free-form."""

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.masks.stats import bounding_boxes, missing_share
from ganforge.masks.strokes import _capsule, random_strokes


@pytest.mark.parametrize("size", [(32, 32), (40, 24)])
@pytest.mark.parametrize("band", [(0.1, 0.2), (0.2, 0.4), (0.4, 0.6)])
def test_share_in_band(size, band):
    g = torch.Generator().manual_seed(3)
    mask, boxes = random_strokes(16, size, *band, g)
    assert mask.shape == (16, 1, *size) and mask.dtype == torch.float32
    share = missing_share(mask)
    assert (share >= band[0]).all() and (share <= band[1]).all()
    assert torch.equal(boxes, bounding_boxes(mask))


def test_strokes_are_free_form_not_boxes():
    mask, boxes = random_strokes(32, (32, 32), 0.1, 0.2, torch.Generator().manual_seed(0))
    area = ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])).float()
    fill = missing_share(mask) * 32 * 32 / area
    assert fill.mean() < 0.6  # thin strokes fill a small part of their bounding box


def test_seeded_reproducible():
    a, _ = random_strokes(6, (32, 32), 0.1, 0.3, torch.Generator().manual_seed(9))
    b, _ = random_strokes(6, (32, 32), 0.1, 0.3, torch.Generator().manual_seed(9))
    c, _ = random_strokes(6, (32, 32), 0.1, 0.3, torch.Generator().manual_seed(10))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_capsule_is_a_line_with_round_ends():
    # A horizontal segment from (2, 5) to (8, 5) with radius 1.5, pixel centres at k + 0.5.
    p0, p1 = torch.tensor([[2.0, 5.0]]), torch.tensor([[8.0, 5.0]])
    xs = torch.arange(12.0).view(1, 1, 12) + 0.5
    ys = torch.arange(10.0).view(1, 10, 1) + 0.5
    cap = _capsule(p0, p1, torch.tensor([1.5]), xs, ys)[0]
    yy, xx = torch.meshgrid(torch.arange(10.0) + 0.5, torch.arange(12.0) + 0.5, indexing="ij")
    dx = (xx - xx.clamp(2, 8)).abs()
    expected = dx**2 + (yy - 5) ** 2 <= 1.5**2
    assert torch.equal(cap, expected)
    assert cap[4, 5] and cap[5, 5] and not cap[7, 5]
    assert cap[5, 1] and not cap[5, 0]  # the round end reaches 1.5 px past the end point


def test_bad_band_is_one_line():
    with pytest.raises(GanforgeError, match="min_share"):
        random_strokes(2, (8, 8), 0.4, 0.2, torch.Generator())
