"""The memorisation check flags copies of training images and passes fresh samples."""

import numpy as np
import pytest
import scipy.stats
import torch
from PIL import Image

from ganforge.errors import GanforgeError
from ganforge.metrics.memorization import _space_stats, memorization_report


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


def test_near_copy_test_includes_the_threshold_noise():
    # Under the null (fakes distributed like held-out reals), a threshold estimated from 200
    # held-out distances (k = 2) plus a plain binomial test with p = 1% flags far more often than
    # alpha; the beta-binomial test stays near alpha.
    rng = np.random.default_rng(0)
    flagged = plain = 0
    for _ in range(200):
        test, fake = rng.random(200), rng.random(1000)
        s = _space_stats(torch.from_numpy(fake), torch.from_numpy(test), 1.0, 0.01)
        flagged += s.flagged
        near = int((fake < np.percentile(test, 1)).sum())
        plain += near > 0 and scipy.stats.binom.sf(near - 1, 1000, 0.01) < 0.01
    assert flagged / 200 <= 0.03 and plain / 200 > 0.15
    # The numbers it reports: the k-th smallest distance and the beta-binomial mean k / (n + 1).
    test = np.linspace(0.01, 2.0, 200)
    s = _space_stats(torch.from_numpy(test[::-1].copy()), torch.from_numpy(test), 1.0, 1e-3)
    assert s.threshold == test[1] and s.near_copies == 1
    assert s.expected_fraction == pytest.approx(2 / 201)
    assert s.p_value == pytest.approx(scipy.stats.betabinom(200, 2, 199).sf(0))
