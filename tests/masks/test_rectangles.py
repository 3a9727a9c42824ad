"""masks/rectangles.py: one box per image, its share in the band, boxes that match, seeding."""

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.masks.rectangles import random_rectangles
from ganforge.masks.stats import bounding_boxes, missing_share


@pytest.mark.parametrize("size", [(32, 32), (64, 48), (17, 40)])
@pytest.mark.parametrize("band", [(0.1, 0.2), (0.2, 0.4), (0.4, 0.6), (0.25, 0.25)])
def test_share_in_band_and_boxes_match_the_mask(size, band):
    if band == (0.25, 0.25) and size == (17, 40):
        pytest.skip("no whole rectangle has 170 pixels in a 17x40 image")  # (17 x 10 does)
    g = torch.Generator().manual_seed(1)
    mask, boxes = random_rectangles(256, size, *band, g)
    assert mask.shape == (256, 1, *size) and mask.dtype == torch.float32
    assert set(mask.unique().tolist()) <= {0.0, 1.0}
    share = missing_share(mask)
    lo, hi = band
    assert (share >= lo - 1e-6).all() and (share <= hi + 1e-6).all()
    assert torch.equal(boxes, bounding_boxes(mask))  # one solid box per image
    h, w = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    assert torch.equal((h * w).float() / (size[0] * size[1]), share)


def test_shares_and_positions_spread_over_the_band():
    g = torch.Generator().manual_seed(0)
    mask, boxes = random_rectangles(2000, (64, 64), 0.1, 0.5, g)
    share = missing_share(mask)
    assert share.min() < 0.13 and share.max() > 0.47  # the whole band is used
    assert boxes[:, 0].min() == 0 and boxes[:, 2].max() == 64  # boxes reach both edges
    aspect = (boxes[:, 2] - boxes[:, 0]).float() / (boxes[:, 3] - boxes[:, 1])
    assert aspect.min() < 0.6 and aspect.max() > 1.7  # both orientations, near max_aspect 2


def test_seeded_reproducible():
    a = random_rectangles(8, (32, 32), 0.1, 0.3, torch.Generator().manual_seed(5))
    b = random_rectangles(8, (32, 32), 0.1, 0.3, torch.Generator().manual_seed(5))
    c = random_rectangles(8, (32, 32), 0.1, 0.3, torch.Generator().manual_seed(6))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[1], c[1])


@pytest.mark.parametrize("band", [(0.0, 0.2), (0.3, 0.2), (0.5, 1.0)])
def test_bad_band_is_one_line(band):
    with pytest.raises(GanforgeError, match="min_share"):
        random_rectangles(2, (8, 8), *band, torch.Generator())


def test_impossible_band_is_refused():
    with pytest.raises(GanforgeError, match="widen the share band"):
        random_rectangles(2, (7, 7), 0.5, 0.5, torch.Generator())  # 24.5 pixels: none
