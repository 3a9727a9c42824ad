"""Atomic file writes: a temporary file in the target's folder, renamed into place when complete.

A reader (or a crash) never sees a half-written file: the data goes to a temporary name in the same
folder, and ``os.replace`` swaps it in whole (atomic on POSIX and Windows within one file system).
``tempfile.mkstemp`` creates that file private (mode 0600) for its own safety, which would make every
PNG, checkpoint and export unreadable to the group and others; the finished file is therefore given
the mode an ordinary ``open(path, "w")`` would have, 0666 minus the process umask, before the rename.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def current_umask() -> int:
    """The process umask, read without changing it where the OS allows.

    Linux reports it in /proc/self/status; elsewhere ``os.umask`` is the only way to read it, and
    setting then restoring it is a brief window in which another thread would create files with
    umask 0 (harmless here: the worst case is a file more readable than asked for).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def default_file_mode() -> int:
    """The mode ``open(path, "w")`` gives a new file: 0666 minus the umask (0644 for umask 022)."""
    return 0o666 & ~current_umask()


def default_dir_mode() -> int:
    """The mode ``mkdir`` gives a new folder: 0777 minus the umask (``mkdtemp`` makes them 0700)."""
    return 0o777 & ~current_umask()


def publish(tmp: str | Path, path: str | Path) -> None:
    """Give the finished temporary file ``tmp`` an ordinary file's mode and rename it to ``path``."""
    os.chmod(tmp, default_file_mode())
    os.replace(tmp, path)


@contextlib.contextmanager
def atomic_path(
    path: str | Path, prefix: str = ".tmp-", suffix: str | None = None
) -> Iterator[Path]:
    """Yield a temporary file name next to ``path``; it becomes ``path`` only if the block succeeds.

    For writers that want a file name (safetensors, ONNX, TorchScript, Pillow) rather than bytes.
    ``suffix`` defaults to the target's, for writers that pick the format from the extension.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(
        dir=path.parent, prefix=prefix, suffix=path.suffix if suffix is None else suffix
    )
    os.close(fd)
    try:
        yield Path(tmp)
        publish(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)  # gone after the rename; a leftover only on failure


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
