"""CIFAR-10 batches: a fake folder in the real (Python 2) pickle layout; refused pickles."""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import struct
import tarfile
from pathlib import Path

import numpy as np
import pytest

from ganforge.config import DataConfig
from ganforge.data import load_data
from ganforge.data.sources import sets as sources
from ganforge.data.sources.cifar import CLASS_NAMES, read_batch, read_cifar10, safe_load_pickle
from ganforge.errors import GanforgeError


class _Py2StylePickler(pickle._Pickler):  # the pure-Python pickler lets us change how bytes look
    """Writes bytes as Python 2 ``str`` opcodes (BINSTRING), like the archive's cPickle files."""

    def save_bytes(self, obj: bytes) -> None:
        n = len(obj)
        if n < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([n]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", n) + obj)
        self.memoize(obj)

    dispatch = dict(pickle._Pickler.dispatch)
    dispatch[bytes] = save_bytes


def py2_pickle(obj) -> bytes:
    buf = io.BytesIO()
    _Py2StylePickler(buf, protocol=2).dump(obj)
    # numpy 1.x (which wrote the real files' era of pickles) names numpy.core.multiarray.
    return buf.getvalue().replace(b"numpy._core.multiarray\n", b"numpy.core.multiarray\n")


def fake_batch(n: int, seed: int) -> tuple[dict, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 3, 32, 32), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n).tolist()
    d = {
        b"batch_label": b"fake batch",
        b"labels": labels,
        b"data": images.reshape(n, 3072),
        b"filenames": [f"img_{i}.png".encode() for i in range(n)],
    }
    return d, images, np.array(labels)


def make_cifar_folder(root: Path, n: int = 4) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    root.mkdir(parents=True, exist_ok=True)
    truth = {}
    for k, name in enumerate([*(f"data_batch_{i}" for i in range(1, 6)), "test_batch"]):
        d, images, labels = fake_batch(n, k)
        (root / name).write_bytes(py2_pickle(d))
        truth[name] = (images, labels)
    meta = {b"label_names": [c.encode() for c in CLASS_NAMES], b"num_cases_per_batch": n}
    (root / "batches.meta").write_bytes(py2_pickle(meta))
    return truth


def test_py2_style_batch_reads(tmp_path):
    d, images, labels = fake_batch(5, 0)
    path = tmp_path / "data_batch_1"
    path.write_bytes(py2_pickle(d))
    assert b"numpy.core.multiarray" in path.read_bytes()  # the layout we mean to test
    x, y = read_batch(path)
    assert x.shape == (5, 3, 32, 32) and x.dtype == np.uint8
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)


def test_modern_pickle_reads(tmp_path):
    d, images, _ = fake_batch(3, 1)
    path = tmp_path / "b"
    path.write_bytes(pickle.dumps(d, protocol=4))
    np.testing.assert_array_equal(read_batch(path)[0], images)


def test_folder_train_and_test(tmp_path):
    truth = make_cifar_folder(tmp_path / "cifar-10-batches-py", n=4)
    x, y, names = read_cifar10(tmp_path / "cifar-10-batches-py", "train")
    assert x.shape == (20, 3, 32, 32) and y.shape == (20,) and y.dtype == np.int64
    np.testing.assert_array_equal(x[4:8], truth["data_batch_2"][0])  # batch order kept
    assert names == CLASS_NAMES
    x, y, _ = read_cifar10(tmp_path / "cifar-10-batches-py", "test")
    np.testing.assert_array_equal(y, truth["test_batch"][1])


def test_missing_batch_is_named(tmp_path):
    make_cifar_folder(tmp_path / "c")
    os.remove(tmp_path / "c" / "data_batch_3")
    with pytest.raises(GanforgeError, match="data_batch_3"):
        read_cifar10(tmp_path / "c", "train")


class _Evil:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_pickle_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps({b"data": _Evil(marker), b"labels": []}, protocol=4))
    with pytest.raises(GanforgeError, match=r"refused global (posix|os|nt)\.system"):
        read_batch(path)
    assert not marker.exists()


@pytest.mark.parametrize(
    "module,name", [("builtins", "eval"), ("subprocess", "Popen"), ("numpy", "load")]
)
def test_only_numpy_array_globals_are_allowed(tmp_path, module, name):
    # GLOBAL opcode naming the callable, then a harmless argument and REDUCE.
    payload = b"\x80\x02c" + f"{module}\n{name}\n".encode() + b"X\x01\x00\x00\x001\x85R."
    path = tmp_path / "evil"
    path.write_bytes(payload)
    with pytest.raises(GanforgeError, match="refused global"):
        safe_load_pickle(path)


def test_wrong_array_type_is_refused(tmp_path):
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps({b"data": np.zeros((2, 3072), np.float32), b"labels": [0, 1]}))
    with pytest.raises(GanforgeError, match="uint8"):
        read_batch(path)


def test_bad_labels_are_refused(tmp_path):
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 11]}))
    with pytest.raises(GanforgeError, match="labels"):
        read_batch(path)


def test_truncated_pickle(tmp_path):
    d, _, _ = fake_batch(3, 0)
    path = tmp_path / "data_batch_1"
    path.write_bytes(py2_pickle(d)[:-200])
    with pytest.raises(GanforgeError, match="truncated or corrupt"):
        read_batch(path)


def test_load_data_from_cached_folder(tmp_path):
    make_cifar_folder(tmp_path / "cifar10" / "cifar-10-batches-py", n=4)
    cfg = DataConfig(source="cifar10", channels=3, resolution=32, cache_dir=str(tmp_path))
    data = load_data(cfg)
    assert data.images.shape == (20, 3, 32, 32) and data.num_classes == 10
    assert data.report["origin"] == "cache" and data.class_names[0] == "airplane"
    grey = load_data(
        DataConfig(
            source="cifar10", channels=1, resolution=16, cache_dir=str(tmp_path), split="test"
        )
    )
    assert grey.images.shape == (4, 1, 16, 16)


def _tar_of(folder: Path, archive: Path, extra: tarfile.TarInfo | None = None) -> None:
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="cifar-10-batches-py")
        if extra is not None:
            tar.addfile(extra, io.BytesIO(b"x"))


def test_archive_in_cache_is_verified_and_extracted(tmp_path, monkeypatch):
    make_cifar_folder(tmp_path / "src" / "cifar-10-batches-py", n=2)
    root = tmp_path / "cache" / "cifar10"
    root.mkdir(parents=True)
    archive = root / "cifar-10-python.tar.gz"
    _tar_of(tmp_path / "src" / "cifar-10-batches-py", archive)
    monkeypatch.setattr(sources, "CIFAR10_SHA256", hashlib.sha256(archive.read_bytes()).hexdigest())
    cfg = DataConfig(
        source="cifar10", channels=3, cache_dir=str(tmp_path / "cache"), download=False
    )
    data = load_data(cfg)
    assert data.images.shape == (10, 3, 32, 32)
    assert (root / "cifar-10-batches-py" / "test_batch").is_file()
    assert sorted(p.name for p in root.iterdir()) == [
        "cifar-10-batches-py",
        "cifar-10-python.tar.gz",
    ]


def test_archive_with_wrong_checksum_is_refused(tmp_path):
    root = tmp_path / "cifar10"
    root.mkdir()
    (root / "cifar-10-python.tar.gz").write_bytes(b"not the archive")
    with pytest.raises(GanforgeError, match="delete it"):
        load_data(DataConfig(source="cifar10", channels=3, cache_dir=str(tmp_path), download=False))


def test_archive_escaping_the_folder_is_refused(tmp_path, monkeypatch):
    make_cifar_folder(tmp_path / "src" / "cifar-10-batches-py", n=2)
    root = tmp_path / "cache" / "cifar10"
    root.mkdir(parents=True)
    archive = root / "cifar-10-python.tar.gz"
    evil = tarfile.TarInfo("cifar-10-batches-py/../../../escaped")
    evil.size = 1
    _tar_of(tmp_path / "src" / "cifar-10-batches-py", archive, evil)
    monkeypatch.setattr(sources, "CIFAR10_SHA256", hashlib.sha256(archive.read_bytes()).hexdigest())
    cfg = DataConfig(
        source="cifar10", channels=3, cache_dir=str(tmp_path / "cache"), download=False
    )
    with pytest.raises(GanforgeError, match="cannot extract"):
        load_data(cfg)
    assert not (tmp_path / "escaped").exists() and not (root / "cifar-10-batches-py").exists()


def test_missing_cifar_without_download_says_where(tmp_path):
    cfg = DataConfig(source="cifar10", channels=3, cache_dir=str(tmp_path), download=False)
    with pytest.raises(GanforgeError) as e:
        load_data(cfg)
    msg = str(e.value)
    assert "cifar-10-python.tar.gz" in msg and sources.CIFAR10_URL in msg
    assert str(tmp_path / "cifar10") in msg
