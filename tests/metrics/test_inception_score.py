"""Inception/classifier score on logits with known answers."""

import numpy as np
import pytest

from ganforge.errors import GanforgeError
from ganforge.metrics.inception_score import inception_score


def test_confident_uniform_predictions_score_the_class_count():
    k, n = 10, 1000
    logits = np.full((n, k), -50.0)
    logits[np.arange(n), np.arange(n) % k] = 50.0
    # Unshuffled, each split of 100 holds every class 10 times: p(y) is exactly uniform.
    mean, std = inception_score(logits, splits=10, shuffle=False)
    assert mean == pytest.approx(k, rel=1e-6) and std < 1e-6
    # Shuffled splits have slightly uneven class counts, so the score drops a little below K.
    assert 9 < inception_score(logits, splits=10)[0] < k


def test_collapsed_predictions_score_one():
    logits = np.zeros((100, 10))
    logits[:, 3] = 30.0
    assert inception_score(logits)[0] == pytest.approx(1.0, abs=1e-6)


def test_too_few_samples_for_splits():
    with pytest.raises(GanforgeError, match="splits"):
        inception_score(np.zeros((5, 10)), splits=10)


def test_splits_are_shuffled_with_torch_fidelitys_seed():
    # torch-fidelity (metric_isc.py): feature[np.random.RandomState(2020).permutation(N)] then
    # contiguous splits; the default seed here is the same, so equal logits give equal scores.
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(200, 10)) * 3
    perm = np.random.RandomState(2020).permutation(200)
    want = inception_score(logits[perm], splits=10, shuffle=False)
    assert inception_score(logits, splits=10) == pytest.approx(want, rel=1e-12)
    assert inception_score(logits, splits=10, seed=0) != pytest.approx(want, rel=1e-12)
