"""Output files of the explore commands: checked before any work, written whole or not at all.

A missing folder or a wrong extension is found before the generator runs (one-line error, nothing
written), and every file goes to a temporary name in the same folder and is renamed into place,
so an interrupted command never leaves a half-written PNG, GIF, .npz or model behind.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

# atomic_path is re-exported for the export commands (ONNX, TorchScript, safetensors writers).
from ganforge.atomic import atomic_path as atomic_path
from ganforge.atomic import atomic_write_bytes, default_dir_mode
from ganforge.errors import GanforgeError
from ganforge.images import save_png


def check_output(path: str | Path, suffixes: Sequence[str], flag: str = "--out") -> Path:
    """``path`` must end in one of ``suffixes`` and its folder must exist."""
    path = Path(path)
    if path.suffix.lower() not in suffixes:
        raise GanforgeError(
            f"{flag} {path}: the name must end in {' or '.join(suffixes)}"
            + (f", not {path.suffix}" if path.suffix else "")
        )
    folder = path.parent
    if not folder.is_dir():
        raise GanforgeError(f"{flag} {path}: folder {folder} does not exist (create it first)")
    if path.is_dir():
        raise GanforgeError(f"{flag} {path} is a folder: give a file name")
    return path


def check_output_folder(path: str | Path, flag: str = "--out") -> Path:
    """A folder to be created (or an existing empty one) inside an existing parent."""
    path = Path(path)
    if not path.parent.is_dir():
        raise GanforgeError(f"{flag} {path}: folder {path.parent} does not exist (create it first)")
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise GanforgeError(
            f"{flag} {path} already exists and is not an empty folder: pick a new name"
        )
    return path


def save_npy(path: str | Path, array: np.ndarray) -> None:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    atomic_write_bytes(path, buf.getvalue())


def save_npz(path: str | Path, **arrays: np.ndarray) -> None:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    atomic_write_bytes(path, buf.getvalue())


def save_png_folder(
    folder: str | Path,
    images: np.ndarray,
    names: Sequence[str],
    extra: dict[str, bytes] | None = None,
) -> None:
    """(N, H, W, C) uint8 -> ``folder/<name>.png`` (and the ``extra`` files by name, e.g. the
    captions the samples followed); the folder appears only when complete."""
    folder = Path(folder)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".tmp-{folder.name}-"))
    tmp.chmod(
        default_dir_mode()
    )  # mkdtemp makes it private (0700); the result is an ordinary folder
    try:
        for image, name in zip(images, names):  # one file per image: the output is the loop
            save_png(tmp / f"{name}.png", image)
        for name, data in (extra or {}).items():
            (tmp / name).write_bytes(data)
        if folder.is_dir():
            folder.rmdir()  # checked empty by check_output_folder
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
