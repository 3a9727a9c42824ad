"""data/sources/stacked.py: three Fashion-MNIST items as R, G, B; the triplet is the label."""

from __future__ import annotations

import pytest
import torch

from ganforge.config import DataConfig
from ganforge.data import load_data
from ganforge.errors import GanforgeError


def test_planes_are_items_and_the_label_is_their_triplet():
    cfg = DataConfig(source="stacked-fashion-mnist", channels=3, resolution=28, split="test")
    stacked = load_data(cfg, seed=0)
    base = load_data(DataConfig(source="fashion-mnist", channels=1, resolution=28, split="test"))
    assert stacked.images.shape == (10_000, 3, 28, 28) and stacked.num_classes == 1000
    for i in (0, 1, 4321):
        triplet = []
        for c in range(3):  # each plane is one of the base images, and carries its class
            matches = (base.images[:, 0] == stacked.images[i, c]).flatten(1).all(1).nonzero()
            assert len(matches) >= 1
            triplet.append(int(base.labels[matches[0, 0]]))
        assert int(stacked.labels[i]) == triplet[0] * 100 + triplet[1] * 10 + triplet[2]
    counts = torch.bincount(stacked.labels, minlength=1000)
    assert (counts > 0).sum() >= 990  # independent draws: nearly every mode occurs in 10k
    again = load_data(cfg, seed=0)
    assert torch.equal(again.images, stacked.images)  # seeded
    assert not torch.equal(load_data(cfg, seed=1).labels, stacked.labels)


def test_grey_is_refused_in_one_line():
    with pytest.raises(GanforgeError, match="set data.channels=3"):
        load_data(DataConfig(source="stacked-fashion-mnist", channels=1, split="test"))
