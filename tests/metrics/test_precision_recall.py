"""Improved precision/recall on constructed point sets with exact answers."""

import numpy as np
import pytest

from ganforge.metrics.precision_recall import precision_recall


def clusters(n_clusters: int, per: int, seed: int = 0) -> np.ndarray:
    # Unit-std blobs 100 apart: every k-NN ball stays inside its own blob.
    rng = np.random.default_rng(seed)
    centres = 100.0 * np.stack([np.arange(n_clusters), np.zeros(n_clusters)], 1)
    return np.concatenate([c + rng.normal(size=(per, 2)) for c in centres])


def test_identical_sets_give_one():
    x = clusters(4, 50)
    assert precision_recall(x, x) == (1.0, 1.0)


def test_far_apart_sets_give_zero():
    x = clusters(4, 50)
    assert precision_recall(x + 1e4, x) == (0.0, 0.0)


def test_half_of_the_clusters_gives_full_precision_half_recall():
    real = clusters(10, 40)
    fake = real[: 5 * 40]  # exactly the points of the first five clusters
    p, r = precision_recall(fake, real)
    assert p == 1.0 and r == pytest.approx(0.5)


def test_fresh_samples_of_half_the_clusters():
    real, fake = clusters(10, 200, seed=0), clusters(5, 200, seed=1)
    p, r = precision_recall(fake, real)
    assert p > 0.95 and r == pytest.approx(0.5, abs=0.03)


def test_block_size_does_not_change_the_answer():
    real, fake = clusters(6, 60, seed=0), clusters(3, 60, seed=2)
    assert precision_recall(fake, real, block=7) == precision_recall(fake, real, block=4096)
