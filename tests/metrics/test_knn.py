"""Chunked k-NN helpers against a full distance matrix (their plain reference twin)."""

import numpy as np
import torch

from ganforge.metrics.knn import kth_neighbour_distance, nearest_neighbours


def test_kth_neighbour_matches_full_matrix():
    x = torch.from_numpy(np.random.default_rng(0).normal(size=(97, 5)))
    full = torch.cdist(x, x, compute_mode="donot_use_mm_for_euclid_dist")
    want = full.sort(dim=1).values[:, 3]  # column 0 is the point itself
    got = kth_neighbour_distance(x, k=3, block=10)
    assert torch.allclose(got, want, atol=1e-9)


def test_nearest_neighbours_match_full_matrix_and_take_uint8():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 256, size=(40, 1, 4, 4), dtype=np.uint8)
    b = rng.integers(0, 256, size=(70, 1, 4, 4), dtype=np.uint8)
    full = torch.cdist(
        torch.from_numpy(a.reshape(40, -1)).double(), torch.from_numpy(b.reshape(70, -1)).double()
    )
    d, i = nearest_neighbours(a, b, block=9)
    assert torch.allclose(d, full.min(dim=1).values, atol=1e-6)
    assert torch.equal(i, full.argmin(dim=1))
