"""data/i2i/demos.py: the offline Fashion-MNIST demos (edges2fashion, sneakers2boots)."""

import pytest
import torch

from ganforge.config import load_config
from ganforge.data.i2i.demos import edge_maps, load_demo
from ganforge.errors import GanforgeError


def test_edge_maps_are_black_lines_on_white():
    items = torch.zeros(2, 1, 16, 16, dtype=torch.uint8)
    items[:, :, 4:12, 4:12] = 200
    e = edge_maps(items)
    assert set(e.unique().tolist()) == {0, 255}
    assert e[0, 0, 0, 0] == 255 and e[0, 0, 8, 8] == 255 and e[0, 0, 4, 8] == 0


def test_the_demos_are_made_from_fashion_mnist_offline():
    cfg = load_config(
        "pix2pix-edges2fashion",
        {"data.split": "test", "data.max_images": 60, "data.resolution": 16},
    )
    pairs = load_demo("edges2fashion", cfg.data, 16)
    assert pairs.paired and pairs.images.shape == pairs.sources.shape == (60, 1, 16, 16)
    assert torch.equal(pairs.sources, edge_maps(pairs.images))  # edge map -> item, one per item
    unpaired = load_demo("sneakers2boots", cfg.data, 16)
    r = unpaired.report
    assert not unpaired.paired and (r["n_a"], r["n_b"]) == (len(unpaired.sources), len(unpaired))
    assert r["source"] == "sneakers2boots" and r["demo_of"] == "fashion-mnist"
    few = load_config("cyclegan-fashion", {"data.split": "test", "data.max_images": 1})
    with pytest.raises(
        GanforgeError, match="data.max_images=1 leaves no sneakers or no ankle boots"
    ):
        load_demo("sneakers2boots", few.data, 32)
    with pytest.raises(GanforgeError, match="unknown demo 'horses'"):
        load_demo("horses", cfg.data, 16)
