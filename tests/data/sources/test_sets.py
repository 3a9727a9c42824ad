"""Canonical data sets: the registry, the look-up order and the offline fallback."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import json
import shutil
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch

from ganforge.config import DataConfig
from ganforge.data import load_data
from ganforge.data.files.download import parse_digest
from ganforge.data.sources import sets as sources
from ganforge.data.sources.idx import write_idx
from ganforge.data.sources.sets import FASHION_MNIST, IdxDataset, IdxFile
from ganforge.errors import GanforgeError

HAVE_SYSTEM_COPY = (sources.system_dir(FASHION_MNIST) / "train-images-idx3-ubyte.gz").is_file()


@pytest.fixture(autouse=True)
def _downloads_allowed(monkeypatch):
    # The download tests here serve files from 127.0.0.1 (or an unreachable port) only.
    monkeypatch.delenv("GANFORGE_OFFLINE", raising=False)


@pytest.fixture
def no_system_copy(tmp_path, monkeypatch):
    empty = tmp_path / "no-system-copy"
    empty.mkdir()
    monkeypatch.setenv("GANFORGE_DATASETS", str(empty))
    return empty


def test_system_folder_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("GANFORGE_DATASETS", raising=False)
    assert sources.system_dir(FASHION_MNIST) == sources.Path("/usr/share/datasets/fashion-mnist")
    monkeypatch.setenv("GANFORGE_DATASETS", str(tmp_path))
    assert sources.system_dir(sources.MNIST) == tmp_path / "mnist"


def test_offline_environment_stops_downloads(no_system_copy, monkeypatch):
    monkeypatch.setenv("GANFORGE_OFFLINE", "1")
    monkeypatch.setattr(sources, "FASHION_MNIST_BASE_URL", "http://127.0.0.1:1/")
    with pytest.warns(UserWarning, match="embedded"):
        data = load_data(DataConfig(split="train", max_images=10))
    assert "GANFORGE_OFFLINE" in data.report["fallback"]


def test_registry_is_well_formed():
    for ds in sources.IDX_DATASETS.values():
        assert set(ds.files) == {(s, k) for s in ("train", "test") for k in ("images", "labels")}
        assert len(ds.class_names) == 10
        for f in ds.files.values():
            parse_digest(f.digest)
            assert len(f.payload_sha256) == 64
        assert sources.base_url(ds).startswith(("http://", "https://"))
    assert parse_digest(sources.CIFAR10_SHA256)[0] == "sha256"


def test_embedded_test_split(no_system_copy):
    data = load_data(DataConfig(split="test", resolution=28))
    assert data.images.shape == (10_000, 1, 28, 28) and data.images.dtype == torch.uint8
    assert data.labels.dtype == torch.int64
    assert torch.bincount(data.labels).tolist() == [1000] * 10
    assert data.class_names[0] == "T-shirt/top" and data.class_names[9] == "Ankle boot"
    r = data.report
    assert r["origin"] == "embedded" and r["split"] == "test" and r["warnings"] == []
    assert r["shape"] == [10_000, 1, 28, 28] and r["class_counts"]["Bag"] == 1000
    json.dumps(r)


def test_embedded_split_resized_to_32_and_rgb(no_system_copy):
    data = load_data(DataConfig(split="test", resolution=32, channels=3, max_images=64))
    assert data.images.shape == (64, 3, 32, 32)
    assert torch.equal(data.images[:, 0], data.images[:, 2])
    assert data.report["original_shape"] == [1, 28, 28] and data.report["max_images"] == 64
    # Fashion-MNIST has a black background: the corners stay dark after resizing.
    assert data.images[:, :, 0, 0].float().mean() < 5


@pytest.mark.skipif(
    not HAVE_SYSTEM_COPY,
    reason="no Debian dataset-fashion-mnist here (or $GANFORGE_DATASETS hides it)",
)
def test_train_split_from_system_copy():
    data = load_data(DataConfig(split="train", resolution=28))
    assert data.images.shape == (60_000, 1, 28, 28)
    assert data.report["origin"] == "system" and data.report["warnings"] == []
    assert torch.bincount(data.labels).tolist() == [6000] * 10


def test_fallback_to_embedded_when_offline(no_system_copy):
    cfg = DataConfig(split="train", download=False, resolution=28)
    with pytest.warns(UserWarning, match="embedded"):
        data = load_data(cfg)
    assert len(data) == 10_000
    r = data.report
    assert r["origin"] == "embedded" and r["split"] == "test"
    assert len(r["warnings"]) == 1 and "downloads are off" in r["fallback"]
    # The note is one short sentence; the reason is kept in the report.
    assert "\n" not in r["warnings"][0] and len(r["warnings"][0]) < 160
    assert "README" in r["warnings"][0] and "10,000" in r["warnings"][0]


def test_fallback_when_download_fails(no_system_copy, monkeypatch):
    monkeypatch.setattr(sources, "FASHION_MNIST_BASE_URL", "http://127.0.0.1:1/")
    with pytest.warns(UserWarning, match="embedded"):
        data = load_data(DataConfig(split="train", download=True, max_images=10))
    assert len(data) == 10 and "could not download" in data.report["fallback"]


def test_cache_copy_is_preferred_and_may_be_recompressed(no_system_copy, tmp_path):
    # A re-gzipped copy has other .gz bytes but the same content: it is accepted by content.
    cache = tmp_path / "cache"
    folder = cache / "fashion-mnist"
    folder.mkdir(parents=True)
    for key in ("images", "labels"):
        f = FASHION_MNIST.files[("test", key)]
        raw = gzip.decompress((sources.EMBEDDED_DIR / f.name).read_bytes())
        (folder / f.name).write_bytes(gzip.compress(raw, compresslevel=1))
    # The labels also work decompressed, under the name without .gz.
    lab = FASHION_MNIST.files[("test", "labels")].name
    (folder / lab.removesuffix(".gz")).write_bytes(gzip.decompress((folder / lab).read_bytes()))
    (folder / lab).unlink()
    data = load_data(DataConfig(split="test", cache_dir=str(cache), max_images=5))
    assert data.report["origin"] == "cache" and str(folder) in data.report["paths"][0]


def test_damaged_cache_copy_is_an_error(no_system_copy, tmp_path):
    folder = tmp_path / "fashion-mnist"
    folder.mkdir()
    for key in ("images", "labels"):
        f = FASHION_MNIST.files[("test", key)]
        shutil.copy(sources.EMBEDDED_DIR / f.name, folder / f.name)
    img = folder / FASHION_MNIST.files[("test", "images")].name
    raw = bytearray(gzip.decompress(img.read_bytes()))
    raw[5000] ^= 0xFF  # one flipped byte: still a valid IDX file, but not the data set
    img.write_bytes(gzip.compress(bytes(raw), compresslevel=1))
    with pytest.raises(GanforgeError, match="not the published") as e:
        load_data(DataConfig(split="test", cache_dir=str(tmp_path)))
    assert str(img) in str(e.value)


def test_mnist_offline_says_where_to_put_the_files(no_system_copy, tmp_path):
    with pytest.raises(GanforgeError) as e:
        load_data(DataConfig(source="mnist", download=False, cache_dir=str(tmp_path)))
    msg = str(e.value)
    assert "train-images-idx3-ubyte.gz" in msg and sources.MNIST_BASE_URL in msg
    assert str(tmp_path / "mnist") in msg and "\n" not in msg


def _fake_idx_set(folder, n=6):
    """Small IDX files written as .gz, and a registry entry whose checksums match them."""
    rng = np.random.default_rng(0)
    arrays = {
        "images": rng.integers(0, 256, (n, 28, 28), dtype=np.uint8),
        "labels": rng.integers(0, 10, n, dtype=np.uint8),
    }
    files = {}
    for split in ("train", "test"):
        for key, a in arrays.items():
            name = f"{split}-{key}-idx{a.ndim}-ubyte.gz"
            p = write_idx(folder / name, a)
            raw = gzip.decompress(p.read_bytes())
            files[(split, key)] = IdxFile(
                name, hashlib.sha256(p.read_bytes()).hexdigest(), hashlib.sha256(raw).hexdigest()
            )
    return files, arrays


def test_mnist_download_path_end_to_end(no_system_copy, tmp_path, monkeypatch):
    served = tmp_path / "served"
    served.mkdir()
    files, arrays = _fake_idx_set(served)
    fake = IdxDataset("mnist", "MNIST", files, [str(i) for i in range(10)])
    monkeypatch.setitem(sources.IDX_DATASETS, "mnist", fake)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    def handler(*a, **k):
        return Quiet(*a, directory=str(served), **k)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    try:
        monkeypatch.setattr(
            sources, "MNIST_BASE_URL", f"http://127.0.0.1:{httpd.server_address[1]}/"
        )
        cfg = DataConfig(source="mnist", resolution=28, cache_dir=str(tmp_path / "cache"))
        data = load_data(cfg)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert data.report["origin"] == "download"
    np.testing.assert_array_equal(data.images[:, 0].numpy(), arrays["images"])
    np.testing.assert_array_equal(data.labels.numpy(), arrays["labels"])
    # Second time: found in the cache, no server needed.
    again = load_data(cfg)
    assert again.report["origin"] == "cache" and torch.equal(again.images, data.images)


def test_unknown_source_lists_the_valid_ones():
    with pytest.raises(GanforgeError) as e:
        load_data(DataConfig(source="imagenet"))
    msg = str(e.value)
    for name in ("fashion-mnist", "mnist", "cifar10", "folder:PATH", "toy-ring", "toy-grid"):
        assert name in msg
    with pytest.raises(GanforgeError, match="did you mean 'cifar10'"):
        load_data(DataConfig(source="cifar-10"))


def test_import_is_light():
    # PIL does load (9 ms: the config checks data.background is a colour); the heavy ones do not.
    code = (
        "import sys, ganforge.data; "
        "bad = [m for m in ('matplotlib', 'scipy', 'ganforge.metrics.features') "
        "if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
