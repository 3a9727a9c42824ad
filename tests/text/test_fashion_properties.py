"""text/fashion_properties.py: measured brightness, width, texture; per-class thresholds."""

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.text.fashion_properties import (
    PROPERTIES,
    Thresholds,
    above_median,
    fit_thresholds,
    measure,
    name_properties,
)


def _rect(value: int, width: int, size: int = 16, stripes: bool = False) -> torch.Tensor:
    img = torch.zeros(1, 1, size, size, dtype=torch.uint8)
    left = (size - width) // 2
    img[..., 2:14, left : left + width] = value
    if stripes:
        img[..., 2:14:2, left : left + width] = value // 2
    return img


def test_a_flat_rectangle_measures_its_intensity_and_width_and_no_texture():
    p = measure(_rect(200, 8))
    assert p["brightness"].item() == pytest.approx(200 / 255)
    assert p["width"].item() == pytest.approx(8 / 16)
    assert p["texture"].item() == pytest.approx(0.0, abs=1e-6)
    assert measure(_rect(200, 8, stripes=True))["texture"].item() > 0.05


def test_width_is_the_extent_of_each_row_gaps_included():
    img = torch.zeros(1, 1, 8, 8, dtype=torch.uint8)
    img[..., :, 1] = img[..., :, 6] = 100  # two "legs" with a gap between
    assert measure(img)["width"].item() == pytest.approx(6 / 8)


def test_an_empty_image_measures_zero_and_bad_input_is_refused():
    p = measure(torch.zeros(2, 1, 8, 8, dtype=torch.uint8))
    assert all(v.tolist() == [0.0, 0.0] for v in p.values())
    with pytest.raises(ValueError, match="uint8"):
        measure(torch.zeros(1, 3, 8, 8, dtype=torch.uint8))


def test_thresholds_are_per_class_thirds_and_name_the_extremes():
    # Class 0 brightness 0.1..0.9, class 1 brightness 0.5..0.7: each class is split on its own.
    b = torch.cat([torch.linspace(0.1, 0.9, 9), torch.linspace(0.5, 0.7, 9)])
    props = {name: b.clone() for name in PROPERTIES}
    labels = torch.tensor([0] * 9 + [1] * 9)
    thr = fit_thresholds(props, labels, num_classes=2)
    assert thr.median["brightness"] == pytest.approx([0.5, 0.6])
    named = name_properties(props, labels, thr)["brightness"]
    assert named[:9].tolist() == [0, 0, 0, -1, -1, -1, 1, 1, 1]
    assert named[9:].tolist() == [0, 0, 0, -1, -1, -1, 1, 1, 1]
    # Judged against the intended class's median: 0.55 is light for class 0, dark for class 1.
    v = {name: torch.tensor([0.55, 0.55]) for name in PROPERTIES}
    assert above_median(v, torch.tensor([0, 1]), thr)["brightness"].tolist() == [True, False]
    # A class with no images (a subset of the classes) takes the thresholds of all of them.
    whole = fit_thresholds(props, torch.zeros_like(labels), num_classes=1)
    three = fit_thresholds(props, labels, num_classes=3)
    assert three.median["brightness"][:2] == thr.median["brightness"]
    assert three.median["brightness"][2] == whole.median["brightness"][0]
    with pytest.raises(GanforgeError, match="no images"):
        fit_thresholds({k: v[:0] for k, v in props.items()}, labels[:0], num_classes=3)


def test_thresholds_round_trip_and_malformed_ones_are_refused():
    props = {name: torch.rand(30) for name in PROPERTIES}
    thr = fit_thresholds(props, torch.arange(30) % 3, num_classes=3)
    assert Thresholds.from_dict(thr.to_dict(), num_classes=3) == thr
    bad = thr.to_dict()
    bad["low"]["width"] = [0.1, 0.2]
    for data in (bad, [], {"low": 1}, {**thr.to_dict(), "extra": {}}):
        with pytest.raises(GanforgeError, match="malformed"):
            Thresholds.from_dict(data, num_classes=3)
