"""2-D toy mixtures: centres, per-mode statistics, determinism."""

from __future__ import annotations

import math

import pytest
import torch

from ganforge.config import DataConfig
from ganforge.data import load_data
from ganforge.data.sources.toy import grid_centers, load_toy, ring_centers


def test_ring_centers():
    c = ring_centers()
    assert c.shape == (8, 2) and c.dtype == torch.float32
    torch.testing.assert_close(c.norm(dim=1), torch.full((8,), 2.0))
    angles = torch.atan2(c[:, 1], c[:, 0]).remainder(2 * math.pi).sort().values
    torch.testing.assert_close(angles, torch.arange(8) * (math.pi / 4), atol=1e-6, rtol=0)


def test_grid_centers():
    c = grid_centers()
    assert c.shape == (25, 2) and c.dtype == torch.float32
    coords = {-4.0, -2.0, 0.0, 2.0, 4.0}
    assert {tuple(p) for p in c.tolist()} == {(x, y) for x in coords for y in coords}


@pytest.mark.parametrize("source,centers", [("toy-ring", ring_centers), ("toy-grid", grid_centers)])
def test_modes_are_centred_with_the_right_spread(source, centers):
    std = 0.05
    data = load_toy(source, 20_000, std, seed=3)
    x, y = data.images, data.labels
    c = centers()
    assert x.shape == (20_000, 2) and x.dtype == torch.float32 and not data.is_image
    assert y.dtype == torch.int64 and int(y.min()) == 0 and int(y.max()) == len(c) - 1
    assert data.num_classes == len(c) and len(data.class_names) == len(c)
    for k in range(len(c)):
        pts = x[y == k]
        assert len(pts) > 0.5 * len(x) / len(c)  # roughly equal weights
        # The mean of ~800 points with std 0.05 is within 0.01 of the centre (> 5 sigma).
        assert (pts.mean(0) - c[k]).abs().max() < 0.01
        assert abs(pts.std(0).mean().item() - std) < 0.005
    # Every point is nearest to its own mode's centre (modes are 2 apart, std 0.05).
    assert (torch.cdist(x, c).argmin(1) == y).all()


def test_deterministic_given_seed():
    a = load_toy("toy-ring", 100, 0.02, seed=1)
    b = load_toy("toy-ring", 100, 0.02, seed=1)
    c = load_toy("toy-ring", 100, 0.02, seed=2)
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)
    assert not torch.equal(a.images, c.images)


def test_global_rng_does_not_matter():
    torch.manual_seed(0)
    a = load_toy("toy-grid", 50, 0.02, seed=5).images
    torch.rand(1000)
    assert torch.equal(a, load_toy("toy-grid", 50, 0.02, seed=5).images)


def test_load_data_toy():
    cfg = DataConfig(source="toy-grid", toy_samples=1000, toy_std=0.1)
    data = load_data(cfg, seed=7)
    assert data.images.shape == (1000, 2) and data.num_classes == 25
    assert data.report["source"] == "toy-grid" and data.report["n_images"] == 1000
    assert sum(data.report["class_counts"].values()) == 1000
    assert torch.equal(data.images, load_data(cfg, seed=7).images)


def test_centers_from_package():
    import ganforge.data as gd

    assert torch.equal(gd.ring_centers(), ring_centers())
