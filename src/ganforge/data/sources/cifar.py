"""CIFAR-10 "python version" batches, read without letting the pickles run code.

The archive (Krizhevsky 2009, "Learning Multiple Layers of Features from Tiny Images";
https://www.cs.toronto.edu/~kriz/cifar.html) holds ``cifar-10-batches-py/`` with ``data_batch_1``
to ``data_batch_5`` (training, 10,000 images each), ``test_batch`` and ``batches.meta``. Each is a
Python 2 pickle of a dict: ``b"data"`` a uint8 (10000, 3072) array whose rows are the R, G and B
32 x 32 planes, ``b"labels"`` a list of ints in [0, 9]; the meta dict has ``b"label_names"``.

Plain ``pickle.load`` executes whatever callable a file names, so a downloaded or hand-placed
file could run code. ``_SafeUnpickler`` only resolves the three numpy globals the real files
use to rebuild their arrays (``_reconstruct``, ``ndarray``, ``dtype``); anything else is refused.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np

from ganforge.errors import GanforgeError

TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCHES = ("test_batch",)
META = "batches.meta"
CLASS_NAMES = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
]

# The callable that ndarray.__reduce__ names, whatever numpy's module layout of the day.
_reconstruct = np.ndarray.__reduce__(np.zeros(1))[0]
# numpy 1.x pickles say numpy.core.multiarray, numpy 2.x say numpy._core.multiarray; we map the
# names to the objects ourselves instead of importing the module a file asks for.
_ALLOWED: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class _Refused(pickle.UnpicklingError):
    """A pickle named a global outside the allow-list."""


class _SafeUnpickler(pickle.Unpickler):
    """Unpickler that builds dicts, lists, bytes, str, numbers and numpy arrays, nothing else."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise _Refused(f"refused global {module}.{name}") from None


def safe_load_pickle(path: str | Path) -> Any:
    """Unpickle ``path`` allowing only the numpy array machinery; bytes keys stay bytes."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            # encoding="bytes": the files are Python 2 pickles whose str objects are raw bytes.
            return _SafeUnpickler(f, encoding="bytes").load()
    except _Refused as e:
        raise GanforgeError(
            f"{path} is not a CIFAR-10 python batch ({e}); it was not loaded: replace it with a "
            "copy from the official cifar-10-python.tar.gz"
        ) from None
    except (
        pickle.UnpicklingError,
        EOFError,
        ValueError,
        TypeError,
        AttributeError,
        IndexError,
        KeyError,
    ) as e:
        raise GanforgeError(
            f"{path} is truncated or corrupt ({type(e).__name__}: {e}): delete the "
            "cifar-10-batches-py folder and extract the archive again"
        ) from None


def _key(d: dict, name: str) -> Any:
    # Python 2 pickles give bytes keys; tolerate str keys from re-pickled copies.
    if name.encode() in d:
        return d[name.encode()]
    return d.get(name)


def read_batch(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """One batch file -> (uint8 (N, 3, 32, 32) images, int64 (N,) labels), validated."""
    path = Path(path)
    d = safe_load_pickle(path)
    data = _key(d, "data") if isinstance(d, dict) else None
    labels = _key(d, "labels") if isinstance(d, dict) else None
    if (
        not isinstance(data, np.ndarray)
        or data.dtype != np.uint8
        or data.ndim != 2
        or data.shape[1] != 3 * 32 * 32
    ):
        got = getattr(data, "shape", type(data).__name__)
        raise GanforgeError(
            f"{path} has no uint8 (N, 3072) 'data' array (found {got}): "
            "re-extract cifar-10-python.tar.gz"
        )
    labels_arr = np.asarray(labels if labels is not None else [], dtype=np.int64)
    if labels_arr.shape != (data.shape[0],) or (
        labels_arr.size and not 0 <= labels_arr.min() <= labels_arr.max() <= 9
    ):
        raise GanforgeError(
            f"{path}: 'labels' must be {data.shape[0]} integers in 0..9; "
            "re-extract cifar-10-python.tar.gz"
        )
    # Each row is the R plane, then G, then B, each 32 x 32 in row-major order.
    return data.reshape(-1, 3, 32, 32), labels_arr


def read_label_names(folder: str | Path) -> list[str]:
    """Class names from ``batches.meta``, or the standard ten when the file is absent."""
    meta = Path(folder) / META
    if not meta.exists():
        return list(CLASS_NAMES)
    d = safe_load_pickle(meta)
    names = _key(d, "label_names") if isinstance(d, dict) else None
    if not isinstance(names, list) or len(names) != 10:
        raise GanforgeError(f"{meta} has no list of 10 label_names: re-extract the archive")
    return [n.decode() if isinstance(n, bytes) else str(n) for n in names]


def read_cifar10(
    folder: str | Path, split: str = "train"
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """A ``cifar-10-batches-py`` folder -> (uint8 (N, 3, 32, 32), int64 (N,), class names)."""
    folder = Path(folder)
    names = TRAIN_BATCHES if split == "train" else TEST_BATCHES
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        raise GanforgeError(
            f"{folder} lacks {', '.join(missing)}: it must be the cifar-10-batches-py folder "
            "extracted from cifar-10-python.tar.gz"
        )
    parts = [read_batch(folder / n) for n in names]
    images = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    return images, labels, read_label_names(folder)
