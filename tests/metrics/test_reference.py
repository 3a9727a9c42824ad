"""Reference statistics: cache round trip; clear errors for missing or mismatched files."""

import numpy as np
import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics.features import load_extractor
from ganforge.metrics.reference import (
    cached_reference,
    load_reference,
    reference_key,
    reference_path,
    save_reference,
)


@pytest.fixture(scope="module")
def fmnist():
    return load_extractor("fmnist")


def test_cache_round_trip(fmnist, fmnist_test, tmp_path):
    images, labels = fmnist_test
    ref = cached_reference(
        images, fmnist, "fashion-mnist", "test", n=300, labels=labels, folder=tmp_path
    )
    path = reference_path("fashion-mnist", "test", 300, 0, fmnist, tmp_path)
    assert path.is_file() and path.suffix == ".safetensors"
    again = cached_reference(images, fmnist, "fashion-mnist", "test", n=300, folder=tmp_path)
    assert np.array_equal(again.features, ref.features) and np.array_equal(again.mu, ref.mu)
    assert np.array_equal(again.labels, ref.labels) and again.sha256 == ref.sha256
    assert again.meta["extractor"]["weights_sha256"] == fmnist.weights_sha256


def test_key_changes_with_every_input(fmnist):
    base = reference_key("fashion-mnist", "test", 300, 0, fmnist.protocol)
    other_weights = {**fmnist.protocol, "weights_sha256": "0" * 64}
    assert (
        len(
            {
                base,
                reference_key("fashion-mnist", "train", 300, 0, fmnist.protocol),
                reference_key("fashion-mnist", "test", 301, 0, fmnist.protocol),
                reference_key("fashion-mnist", "test", 300, 1, fmnist.protocol),
                reference_key("fashion-mnist", "test", 300, 0, other_weights),
            }
        )
        == 5
    )


def test_missing_and_mismatched_reference_files(fmnist, fmnist_test, tmp_path):
    with pytest.raises(GanforgeError, match="not found"):
        load_reference(tmp_path / "nope.safetensors")
    ref = cached_reference(fmnist_test[0], fmnist, "fashion-mnist", "test", n=300, folder=tmp_path)
    moved = save_reference(ref, tmp_path / "copy.safetensors")
    with pytest.raises(GanforgeError, match="another protocol"):
        load_reference(moved, expected_key="0123456789abcdef")
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"{}")
    with pytest.raises(GanforgeError, match="not a ganforge reference"):
        load_reference(junk)


def test_rgba_references_record_and_key_the_background(fmnist, tmp_path):
    from ganforge.metrics.reference import compute_reference

    g = torch.Generator().manual_seed(0)
    rgba = torch.randint(0, 256, (8, 4, 28, 28), generator=g).to(torch.uint8)
    white = compute_reference(rgba[:, :1].repeat(1, 4, 1, 1), fmnist, "d", "all")
    assert white.meta["rgba"] == "alpha composited onto RGB [255, 255, 255]"
    assert white.meta["image_shape"] == [3, 28, 28]  # the composited images'
    a = cached_reference(rgba, fmnist, "d", "all", folder=tmp_path)
    b = cached_reference(rgba, fmnist, "d", "all", folder=tmp_path, background=(0, 0, 0))
    assert a.meta["key"] != b.meta["key"]  # another background is another reference
    assert len(list(tmp_path.glob("*.safetensors"))) == 2
    grey = compute_reference(rgba[:, :1], fmnist, "d", "all")
    assert "rgba" not in grey.meta
    assert grey.meta["key"] == reference_key("d", "all", 8, 0, fmnist.protocol)  # as before
