"""data/pipeline.py: what load_data does to every scheme's record (max_images, the configured
size and channels, the data report), and the kinds a task asks for."""

import dataclasses
import json

import torch

from ganforge.config import DataConfig
from ganforge.data.pipeline import load_data


def test_max_images_keeps_the_first_images_and_the_report_says_what_was_done():
    cfg = DataConfig(source="fashion-mnist", split="test", resolution=16, channels=3)
    data = load_data(dataclasses.replace(cfg, max_images=50))
    full = load_data(dataclasses.replace(cfg, resolution=28, channels=1))
    assert data.images.shape == (50, 3, 16, 16) and data.images.dtype == torch.uint8
    assert torch.equal(data.labels, full.labels[:50])  # the first N, in the set's own order
    r = data.report
    assert r["original_shape"] == [1, 28, 28] and r["shape"] == [50, 3, 16, 16]
    assert (r["n_images"], r["max_images"], r["resolution"], r["channels"]) == (50, 50, 16, 3)
    assert r["source"] == "fashion-mnist" and r["dtype"] == "uint8" and r["num_classes"] == 10
    assert sum(r["class_counts"].values()) == 50 and list(r["class_counts"])[0] == "T-shirt/top"
    assert r["class_counts"] == {
        name: int((data.labels == k).sum()) for k, name in enumerate(data.class_names)
    }
    json.dumps(r)  # the report is written to data_report.json as it is


def test_toy_points_are_not_resized_and_follow_the_seed():
    cfg = DataConfig(source="toy-ring", toy_samples=64, toy_std=0.01)
    a, b = load_data(cfg, seed=0), load_data(cfg, seed=1)
    assert a.images.shape == (64, 2) and a.images.dtype == torch.float32 and not a.is_image
    assert torch.equal(a.images, load_data(cfg, seed=0).images)
    assert not torch.equal(a.images, b.images)
    assert "resolution" not in a.report and "original_shape" not in a.report
    assert a.report["shape"] == [64, 2] and a.report["max_images"] == 0


def test_ids_follow_the_items_through_max_images():
    data = load_data(DataConfig(split="test", max_images=3))
    assert data.ids == ["fashion-mnist/test#0", "fashion-mnist/test#1", "fashion-mnist/test#2"]
