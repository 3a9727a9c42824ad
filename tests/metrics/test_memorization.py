"""The memorisation check flags copies of training images and passes fresh samples."""

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.errors import GanforgeError
from ganforge.metrics.memorization import memorization_report


def noise_images(n: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, 1, 8, 8), generator=g, dtype=torch.uint8)


TRAIN, TEST = noise_images(400, 0), noise_images(200, 1)


def test_exact_copies_are_flagged_and_drawn(tmp_path):
    fake = torch.cat([TRAIN[:30], noise_images(70, 2)])
    png = tmp_path / "pairs" / "closest.png"
    rep = memorization_report(fake, TRAIN, TEST, k_pairs=8, png_path=png)
    assert rep.exact_copies == 30 and rep.near_copies >= 30 and rep.memorization
    assert rep.closest[0]["distance"] == 0.0 and rep.closest[0]["train"] == rep.closest[0]["fake"]
    with Image.open(png) as im:
        assert im.mode == "L" and im.size[0] > im.size[1] > 0
    assert [p.name for p in png.parent.iterdir()] == ["closest.png"]  # no temp file left


def test_fresh_samples_are_not_flagged():
    rep = memorization_report(noise_images(300, 3), TRAIN, TEST)
    assert rep.exact_copies == 0 and not rep.memorization
    assert rep.pixel.near_copy_fraction < 0.05
    # Fresh samples sit as far from the training set as held-out reals do.
    assert rep.pixel.fake_percentiles["p50"] == pytest.approx(
        rep.pixel.test_percentiles["p50"], rel=0.05
    )


def test_feature_space_is_reported_alongside():
    fake = torch.cat([TRAIN[:30], noise_images(70, 2)])
    flat = lambda x: x.reshape(len(x), -1).double().numpy()  # noqa: E731
    rep = memorization_report(fake, TRAIN, TEST, flat(fake), flat(TRAIN), flat(TEST))
    assert rep.feature is not None and rep.feature.flagged and rep.feature.near_copies >= 30


def test_shape_mismatch_and_tiny_test_split_are_clear_errors():
    with pytest.raises(GanforgeError, match="image shapes differ"):
        memorization_report(noise_images(5, 4)[:, :, :4], TRAIN, TEST)
    with pytest.raises(GanforgeError, match="percentile"):
        memorization_report(noise_images(5, 4), TRAIN, TEST[:50])
    with pytest.raises(GanforgeError, match="uint8"):
        memorization_report(np.zeros((5, 1, 8, 8), np.float32), TRAIN, TEST)
