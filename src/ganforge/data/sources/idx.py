"""IDX files: the container format of MNIST and Fashion-MNIST.

Format (LeCun et al., http://yann.lecun.com/exdb/mnist/, "THE IDX FILE FORMAT"): two zero bytes,
one byte giving the element type, one byte giving the number of dimensions d, then d big-endian
uint32 sizes, then the elements in C order, big-endian. The files are usually gzip-compressed;
we detect gzip by its magic bytes, not by the file name, so a decompressed copy named ``.gz``
(or the reverse) still reads.
"""

from __future__ import annotations

import gzip
import os
import struct
import tempfile
import zlib
from pathlib import Path

import numpy as np

from ganforge.atomic import publish
from ganforge.errors import GanforgeError

# Element type codes from the format description; multi-byte types are big-endian on disk.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def read_idx_bytes(path: str | Path) -> bytes:
    """The decompressed content of an IDX file (gzip or raw); a damaged gzip is a GanforgeError."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise GanforgeError(f"cannot read {path}: {e.strerror or e}") from None
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as e:
        raise GanforgeError(
            f"{path} is a truncated or corrupt gzip file ({e}): delete it and download it again"
        ) from None


def parse_idx(data: bytes, name: str = "IDX data") -> np.ndarray:
    """Decode IDX bytes into an array of the file's own shape, in native byte order.

    The header is validated before any element is read: the magic number, the type code, and
    that the payload length is exactly the product of the sizes (so a truncated file, or two
    files concatenated, fails here instead of producing garbage images).
    """
    if len(data) < 4:
        raise GanforgeError(f"{name} is not an IDX file: only {len(data)} bytes")
    zero, code, ndim = data[0:2], data[2], data[3]
    if zero != b"\x00\x00" or code not in IDX_DTYPES or ndim == 0:
        raise GanforgeError(
            f"{name} is not an IDX file (magic {data[:4].hex()}; expected 0000 then a type code "
            f"in {sorted(hex(c) for c in IDX_DTYPES)} and a dimension count)"
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise GanforgeError(
            f"{name} is truncated inside its IDX header: delete it and fetch it again"
        )
    dims = struct.unpack(f">{ndim}I", data[4:header])
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    got = len(data) - header
    if got != expected:
        what = "truncated" if got < expected else "longer than its header says"
        raise GanforgeError(
            f"{name} is {what}: header {dims} needs {expected} bytes of {dtype.name}, found {got}; "
            "delete it and fetch it again"
        )
    arr = np.frombuffer(data, dtype=dtype, offset=header).reshape(dims)
    # Native byte order and a writable array: torch.from_numpy refuses neither, and copies are
    # needed anyway for the big-endian types.
    return arr.astype(dtype.newbyteorder("="), copy=True)


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (gzip or raw) -> array, e.g. uint8 (60000, 28, 28) for MNIST images."""
    path = Path(path)
    return parse_idx(read_idx_bytes(path), path.name)


def write_idx(path: str | Path, array: np.ndarray) -> Path:
    """Write ``array`` as IDX, gzip-compressed when the name ends in ``.gz``; written atomically."""
    path = Path(path)
    array = np.ascontiguousarray(array)
    matches = [
        (c, t)
        for c, t in IDX_DTYPES.items()
        if array.dtype.kind == t.kind and array.dtype.itemsize == t.itemsize
    ]
    if not matches:
        raise ValueError(f"IDX cannot store dtype {array.dtype}")
    code, dtype = matches[0]
    if array.ndim == 0 or array.ndim > 255:
        raise ValueError("IDX needs 1 to 255 dimensions")
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(dtype, copy=False).tobytes()
    if path.name.endswith(".gz"):
        # mtime=0 makes the file a function of its content (reproducible checksums).
        payload = gzip.compress(payload, mtime=0)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        publish(tmp, path)  # mkstemp's 0600 -> an ordinary file's mode
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
