"""Mode counting on toy mixtures and class histograms/KL on constructed predictions."""

import math

import numpy as np
import pytest

from ganforge.errors import GanforgeError
from ganforge.metrics.mode_coverage import class_coverage, toy_mode_coverage

RING = np.stack([np.cos(np.arange(8) * np.pi / 4), np.sin(np.arange(8) * np.pi / 4)], 1) * 2.0
STD = 0.02


def sample_modes(modes: list[int], n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    which = rng.choice(modes, size=n)
    return RING[which] + STD * rng.normal(size=(n, 2))


def test_all_eight_modes_covered():
    cov = toy_mode_coverage(sample_modes(list(range(8)), 2000), RING, STD)
    assert cov.modes_covered == 8 and cov.num_modes == 8
    assert cov.high_quality_fraction > 0.98  # 3 std in 2-D keeps ~98.9% of a Gaussian


def test_three_modes_covered():
    cov = toy_mode_coverage(sample_modes([0, 3, 5], 2000), RING, STD)
    assert cov.modes_covered == 3
    assert [i for i, c in enumerate(cov.counts) if c > 0] == [0, 3, 5]


def test_scattered_samples_are_low_quality_and_sparse_modes_do_not_count():
    far = np.random.default_rng(1).uniform(-10, 10, size=(2000, 2))
    cov = toy_mode_coverage(far, RING, STD)
    assert cov.high_quality_fraction < 0.01 and cov.modes_covered == 0
    # 2000 samples, 8 modes: a mode needs ceil(0.2 * 250) = 50 high-quality samples.
    assert cov.min_count == 50


def test_uniform_predictions_cover_all_classes():
    real = np.arange(1000) % 10
    cov = class_coverage(np.arange(500) % 10, real, num_classes=10)
    assert cov.classes_present == 10 and not cov.mode_collapse
    assert cov.kl_fake_real == pytest.approx(0.0, abs=1e-12)


def test_collapsed_predictions_flag_mode_collapse_with_hand_computed_kl():
    real = np.arange(1000) % 10
    fake = np.array([0] * 60 + [1] * 30 + [2] * 10)
    cov = class_coverage(fake, real, num_classes=10)
    assert cov.classes_present == 3 and cov.mode_collapse
    assert cov.fake_histogram[:3] == [60, 30, 10]
    # Laplace smoothing: p_c = (n_c + 1) / (100 + 10); real stays uniform after smoothing.
    p = np.array([61, 31, 11] + [1] * 7) / 110
    assert cov.kl_fake_real == pytest.approx(float(np.sum(p * np.log(p / 0.1))), rel=1e-12)
    assert cov.kl_fake_real < math.log(10)


def test_rare_class_below_threshold_is_absent():
    real = np.arange(1000) % 10
    fake = np.r_[np.arange(990) % 9, [9] * 10]  # class 9 gets 1% (< 0.2 * 10%)
    cov = class_coverage(fake, real, num_classes=10)
    assert cov.classes_present == 9 and cov.mode_collapse


def test_logits_are_accepted_and_bad_labels_rejected():
    logits = np.eye(10)[np.arange(100) % 10] * 5
    assert class_coverage(logits, np.arange(100) % 10, 10).classes_present == 10
    with pytest.raises(GanforgeError):
        class_coverage(np.array([11]), np.arange(10), 10)


def test_stacked_modes_count_distinct_triplets_and_kl():
    import numpy as np

    from ganforge.metrics.mode_coverage import stacked_mode_coverage

    eye = np.eye(10)
    # Three planes predicting classes (1, 2, 3) for two samples and (9, 9, 9) for one: 2 modes.
    planes = [eye[[1, 1, 9]], eye[[2, 2, 9]], eye[[3, 3, 9]]]
    real = np.arange(1000)  # every mode once: the uniform real distribution
    cov = stacked_mode_coverage(planes, real)
    assert cov.modes_covered == 2 and cov.num_modes == 1000
    assert cov.fake_histogram[123] == 2 and cov.fake_histogram[999] == 1
    uniform = stacked_mode_coverage(
        [np.arange(1000) // 100, np.arange(1000) // 10 % 10, np.arange(1000) % 10], real
    )
    assert uniform.modes_covered == 1000 and uniform.kl_fake_real == pytest.approx(0.0, abs=1e-12)
    many = [np.repeat(x, 2500, axis=0) for x in planes]  # 7,500 samples on those two modes
    collapsed = stacked_mode_coverage(many, real)
    assert collapsed.modes_covered == 2 and collapsed.kl_fake_real > 3.0  # log(1000/2) = 6.2
    with pytest.raises(GanforgeError, match="three planes"):
        stacked_mode_coverage(planes[:2], real)
