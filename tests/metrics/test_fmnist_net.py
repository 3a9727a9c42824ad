"""The shipped Fashion-MNIST feature network: accuracy, metadata, input protocol, safe loading."""

import json

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics.features import load_extractor, sha256_file
from ganforge.metrics.fmnist_net import (
    ARCH,
    DEFAULT_WEIGHTS,
    FEATURE_DIM,
    WEIGHTS_IDENTITY,
    load_fmnist_net,
    save_fmnist_net,
)


@pytest.fixture(scope="module")
def extractor():
    return load_extractor("fmnist")


def test_accuracy_on_1000_embedded_test_images(extractor, fmnist_test):
    images, labels = fmnist_test
    out = extractor.extract(images[:1000], batch_size=500)
    acc = (torch.from_numpy(out["logits"]).argmax(1) == labels[:1000]).double().mean().item()
    assert acc >= 0.93


def test_weights_are_small_safetensors_with_provenance(extractor):
    assert DEFAULT_WEIGHTS.stat().st_size < 2_000_000
    meta = extractor.metadata
    assert meta["arch"] == ARCH and meta["dataset"] == "fashion-mnist"
    assert float(meta["test_accuracy"]) >= 0.93 and "seed" in meta
    # Run-dependent facts stay out of the file; the sidecar has them and both hashes.
    assert not {"train_seconds", "torch"} & set(meta)
    sidecar = json.loads(DEFAULT_WEIGHTS.with_suffix(".json").read_text())
    assert sidecar["weights_sha256"] == extractor.weights_sha256
    assert sidecar["file_sha256"] == sha256_file(DEFAULT_WEIGHTS)
    assert "train_seconds" in sidecar and sidecar["weights_sha256_of"] == WEIGHTS_IDENTITY
    assert extractor.protocol["weights_sha256_of"] == WEIGHTS_IDENTITY


def test_identity_is_the_weights_not_the_file(tmp_path):
    # safetensors writes its metadata in hash-map order, so even identical metadata can give other
    # file bytes: the identity must not depend on the file.
    net, meta, digest = load_fmnist_net()
    a = save_fmnist_net(net, tmp_path / "a.safetensors", {"dataset": "fashion-mnist", "seed": 0})
    b = save_fmnist_net(
        net, tmp_path / "b.safetensors", {"dataset": "fashion-mnist"}, {"train_seconds": 1}
    )
    assert a == b == digest == load_fmnist_net(tmp_path / "b.safetensors")[2]
    with torch.no_grad():
        net.head.bias[0] += 1e-6
    assert save_fmnist_net(net, tmp_path / "c.safetensors", {"dataset": "fashion-mnist"}) != a
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"{n}.{e}" for n in "abc" for e in ("json", "safetensors")
    ]  # no temporary files left


def test_a_net_of_another_data_set_is_refused():
    with pytest.raises(GanforgeError, match="classifier of 'fashion-mnist', not 'mnist'"):
        load_fmnist_net(DEFAULT_WEIGHTS, dataset="mnist")


def test_rgb_and_other_sizes_go_through_the_protocol(extractor, fmnist_test):
    gray = fmnist_test[0][:4]
    out = extractor.extract(gray)
    assert out["pool"].shape == (4, FEATURE_DIM) and out["logits"].shape == (4, 10)
    # Gray repeated to RGB has luma equal to the gray value: identical features.
    rgb = extractor.extract(gray.repeat(1, 3, 1, 1))
    assert torch.allclose(torch.from_numpy(rgb["pool"]), torch.from_numpy(out["pool"]))
    big = torch.nn.functional.interpolate(gray.float(), size=64, mode="nearest").byte()
    assert extractor.extract(big)["pool"].shape == (4, FEATURE_DIM)


def test_bad_inputs_and_files_are_clear_errors(extractor, tmp_path):
    with pytest.raises(GanforgeError, match="uint8"):
        extractor.extract(torch.zeros(2, 1, 28, 28))
    with pytest.raises(GanforgeError, match="C = 1, 3 or 4"):
        extractor.extract(torch.zeros(2, 2, 28, 28, dtype=torch.uint8))
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a safetensors file")
    with pytest.raises(GanforgeError, match="not a readable safetensors"):
        load_fmnist_net(bad)
    with pytest.raises(GanforgeError, match="not found"):
        load_fmnist_net(tmp_path / "missing.safetensors")
