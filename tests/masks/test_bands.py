"""masks/bands.py: fixed evaluation masks per kind and band, in the band, stable."""

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.masks import SAMPLERS
from ganforge.masks.bands import BANDS, band_masks, band_seed
from ganforge.masks.stats import missing_share


@pytest.mark.parametrize("kind", list(SAMPLERS))
@pytest.mark.parametrize("band", list(BANDS))
def test_masks_fall_in_their_band_and_are_fixed(kind, band):
    m = band_masks(kind, band, 16, (32, 32), seed=0)
    assert m.shape == (16, 1, 32, 32) and m.device.type == "cpu"
    share = missing_share(m)
    lo, hi = BANDS[band]
    assert (share >= lo).all() and (share <= hi).all()
    assert torch.equal(m, band_masks(kind, band, 16, (32, 32), seed=0))
    assert not torch.equal(m, band_masks(kind, band, 16, (32, 32), seed=1))


def test_bands_draw_their_own_streams():
    # crc32, not hash(): the same number in every Python process, so the masks never move.
    assert band_seed("strokes", "10-20", 0) == 11460526
    seeds = {band_seed(k, b, 0) for k in SAMPLERS for b in BANDS}
    assert len(seeds) == len(SAMPLERS) * len(BANDS)


def test_unknown_kind_or_band_is_one_line():
    with pytest.raises(GanforgeError, match="unknown mask kind 'circles'"):
        band_masks("circles", "10-20", 1, (8, 8))
    with pytest.raises(GanforgeError, match="unknown mask band '5-10'"):
        band_masks("strokes", "5-10", 1, (8, 8))
