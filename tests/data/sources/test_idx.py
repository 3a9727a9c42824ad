"""IDX reader: round trips through files the test writes, and clear errors on damaged files."""

from __future__ import annotations

import gzip
import os
import stat

import numpy as np
import pytest

from ganforge.data.sources.idx import parse_idx, read_idx, write_idx
from ganforge.errors import GanforgeError


@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
def test_uint8_round_trip(tmp_path, name):
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, size=(7, 28, 28), dtype=np.uint8)
    path = write_idx(tmp_path / name, a)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == name.endswith(".gz")
    b = read_idx(path)
    assert b.dtype == np.uint8 and b.shape == (7, 28, 28)
    np.testing.assert_array_equal(a, b)
    assert b.flags.writeable  # torch.from_numpy must not warn


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.float32, np.float64])
def test_multibyte_types_are_big_endian_on_disk(tmp_path, dtype):
    a = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    path = write_idx(tmp_path / "x.idx", a)
    raw = path.read_bytes()
    header = 4 + 4 * 3
    # The payload on disk is big-endian whatever this machine's byte order is.
    assert raw[header:] == a.astype(np.dtype(dtype).newbyteorder(">")).tobytes()
    b = read_idx(path)
    assert b.dtype == np.dtype(dtype) and b.dtype.isnative
    np.testing.assert_array_equal(a, b)


def test_labels_file_header(tmp_path):
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    path = write_idx(tmp_path / "labels-idx1-ubyte", labels)
    assert path.read_bytes()[:8] == bytes([0, 0, 0x08, 1, 0, 0, 0, 5])
    np.testing.assert_array_equal(read_idx(path), labels)


def test_gzip_is_detected_by_content_not_name(tmp_path):
    a = np.arange(12, dtype=np.uint8).reshape(3, 4)
    gz = write_idx(tmp_path / "x.gz", a)
    renamed = gz.rename(tmp_path / "x-idx2-ubyte")
    np.testing.assert_array_equal(read_idx(renamed), a)


def test_bad_magic_is_refused(tmp_path):
    path = tmp_path / "bad-idx3-ubyte"
    path.write_bytes(b"\x12\x34\x08\x03" + bytes(100))
    with pytest.raises(GanforgeError, match="not an IDX file"):
        read_idx(path)


def test_unknown_type_code_is_refused():
    with pytest.raises(GanforgeError, match="not an IDX file"):
        parse_idx(bytes([0, 0, 0x42, 1, 0, 0, 0, 1, 7]))


def test_truncated_payload(tmp_path):
    a = np.zeros((10, 28, 28), dtype=np.uint8)
    path = write_idx(tmp_path / "t-idx3-ubyte", a)
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(GanforgeError, match="truncated") as e:
        read_idx(path)
    assert "t-idx3-ubyte" in str(e.value) and "\n" not in str(e.value)


def test_extra_bytes_are_corruption(tmp_path):
    path = write_idx(tmp_path / "t-idx1-ubyte", np.zeros(5, dtype=np.uint8))
    path.write_bytes(path.read_bytes() + b"\x00")
    with pytest.raises(GanforgeError, match="longer than its header"):
        read_idx(path)


def test_truncated_header():
    with pytest.raises(GanforgeError, match="truncated inside its IDX header"):
        parse_idx(bytes([0, 0, 0x08, 3, 0, 0, 0, 1]))


def test_truncated_gzip(tmp_path):
    path = write_idx(tmp_path / "t.gz", np.arange(5000, dtype=np.int32))
    path.write_bytes(path.read_bytes()[:-50])
    with pytest.raises(GanforgeError, match="truncated or corrupt gzip"):
        read_idx(path)


def test_gzip_of_garbage(tmp_path):
    path = tmp_path / "g.gz"
    path.write_bytes(gzip.compress(b"hello world"))
    with pytest.raises(GanforgeError, match="not an IDX file"):
        read_idx(path)


def test_missing_file(tmp_path):
    with pytest.raises(GanforgeError, match="cannot read"):
        read_idx(tmp_path / "nope.gz")


def test_write_is_atomic_and_leaves_no_temp(tmp_path):
    write_idx(tmp_path / "a.gz", np.zeros((2, 2), dtype=np.uint8))
    assert [p.name for p in tmp_path.iterdir()] == ["a.gz"]


def test_written_file_has_the_umask_mode_not_0600(tmp_path):
    old = os.umask(0o022)
    try:
        path = write_idx(tmp_path / "a.gz", np.zeros((2, 2), dtype=np.uint8))
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # readable by others, like a download
