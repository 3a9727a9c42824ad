"""Atomic file writes: a temporary file in the target's folder, renamed into place when complete.

A reader (or a crash) never sees a half-written file: the data goes to a temporary name in the same
folder, and ``os.replace`` swaps it in whole (atomic on POSIX and Windows within one file system).
``tempfile.mkstemp`` creates that file private (mode 0600) for its own safety, which would make every
PNG, checkpoint and export unreadable to the group and others; the finished file is therefore given
the mode an ordinary ``open(path, "w")`` would have, 0666 minus the process umask, before the rename.

A process killed mid-write (``kill -9``, out of memory) leaves its temporary file behind. They are
all named ``TEMP_PREFIX`` + 8 random characters + the target's suffix, so that
``sweep_stale_temp_files`` can remove them later and nothing else. A file is only removed when it
is both older than ``STALE_AFTER_S`` and not locked: every writer holds an advisory ``flock`` on
its temporary file until it is renamed or removed, so a checkpoint another live process is writing
right now (however slowly) is left alone, and the age closes the instant between ``mkstemp`` and
the lock. Either rule alone would not do: an age alone deletes a slow write from under its writer;
a lock alone is not there on Windows or for files written by older versions, which did not lock.

A new folder that must appear complete or not at all (a run folder with its first files) is made
the same way by ``atomic_dir``: a locked temporary folder ``TEMP_PREFIX`` + 8 characters +
``STAGING_SUFFIX``, renamed into place; ``sweep_stale_temp_dirs`` removes those of killed writers.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; the age rule alone protects live writers
    fcntl = None  # type: ignore[assignment]

TEMP_PREFIX = ".ganforge-tmp-"
"""The start of every temporary file name ganforge writes (then 8 characters, then a suffix)."""
STALE_AFTER_S = 60.0
"""A temporary file untouched for this long, and not locked, belongs to a writer that died."""
LOCKED_STALE_AFTER_S = 1.0
"""The same for ganforge's own files where advisory locks work: their writers hold the lock from
microseconds after ``mkstemp`` until the rename, so an unlocked one older than this is a dead
writer's (a run killed and resumed at once is swept at once)."""

# mkstemp draws 8 characters from a-z, 0-9 and _. The suffix is the target's (".safetensors").
_OWN = re.compile(r"\.ganforge-tmp-[a-z0-9_]{8}(\.[A-Za-z0-9_.-]+)?")
STAGING_SUFFIX = ".new"
"""The end of a temporary folder's name (``atomic_dir``)."""
_OWN_DIR = re.compile(r"\.ganforge-tmp-[a-z0-9_]{8}\.new")
# Left by older versions: ganforge's ".tmp-" files, and the safetensors library's own temporary
# files (".tmp" + 6 letters and digits, no suffix) from when it wrote checkpoints itself.
_LEGACY = re.compile(r"\.tmp-[a-z0-9_]{8}(\.[a-z0-9]+)?|\.tmp[A-Za-z0-9]{6,8}")


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


def _lock(fd: int) -> None:
    """Hold an advisory lock on our own temporary file while it is written (see module doc)."""
    if fcntl is not None:
        with contextlib.suppress(OSError):  # file systems without flock: the age rule remains
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


@contextlib.contextmanager
def atomic_path(path: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary file name next to ``path``; it becomes ``path`` only if the block succeeds.

    For writers that want a file name (ONNX, TorchScript, Pillow) rather than bytes.
    ``suffix`` defaults to the target's, for writers that pick the format from the extension.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(
        dir=path.parent, prefix=TEMP_PREFIX, suffix=path.suffix if suffix is None else suffix
    )
    try:
        _lock(fd)  # released when fd is closed, after the rename or the removal
        yield Path(tmp)
        publish(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)  # gone after the rename; a leftover only on failure
        os.close(fd)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def is_temp_name(name: str) -> bool:
    """Whether ``name`` is a temporary file name ganforge (or, before, safetensors) wrote."""
    return _OWN.fullmatch(name) is not None or _LEGACY.fullmatch(name) is not None


def _remove_unless_locked(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False  # a live writer holds it
            except OSError:
                pass  # no flock on this file system: the age rule already held
        if os.fstat(fd).st_ino != os.lstat(path).st_ino:
            return False  # renamed and replaced since we opened it: not the file we checked
        os.unlink(path)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def sweep_stale_temp_files(folder: str | Path, min_age_s: float | None = None) -> list[str]:
    """Remove the temporary files that killed writers left in ``folder``; return their names.

    Only regular files named as ganforge's (``TEMP_PREFIX``...) or an older version's temporary
    files are candidates, and of those only the ones untouched for ``min_age_s`` seconds whose lock
    no live writer holds. Anything else, such as ``notes.tmp`` or ``.tmpfoo.txt``, is never touched.
    A missing folder has nothing to sweep. ``min_age_s`` None: ``LOCKED_STALE_AFTER_S`` for
    ganforge's own (locked) files where locks work, ``STALE_AFTER_S`` for the others.
    """
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []
    now = time.time()
    removed = []
    for entry in entries:
        if not is_temp_name(entry.name):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        age = min_age_s
        if age is None:
            own = _OWN.fullmatch(entry.name) is not None and fcntl is not None
            age = LOCKED_STALE_AFTER_S if own else STALE_AFTER_S
        if not stat.S_ISREG(st.st_mode) or now - st.st_mtime < age:
            continue
        if _remove_unless_locked(Path(entry.path)):
            removed.append(entry.name)
    return sorted(removed)


def _make_parents(folder: Path) -> list[Path]:
    """``folder.mkdir(parents=True)``; returns the folders it created, deepest first."""
    missing = []
    probe = folder
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except BaseException:
        _remove_empty(missing)
        raise
    return missing


def _remove_empty(folders: list[Path]) -> None:
    """Remove ``folders`` (deepest first) that are still empty; stop at the first that is not."""
    for d in folders:
        try:
            os.rmdir(d)
        except OSError:
            return


@contextlib.contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Yield a temporary folder next to ``path``; it becomes ``path`` only if the block succeeds.

    The missing parents of ``path`` are created, and removed again if the block fails (those
    still empty: nothing anyone else put there). The temporary folder is locked while it is
    filled, so that ``sweep_stale_temp_dirs`` removes it only once its writer has died.
    ``path`` must not exist when the block ends (FileExistsError).
    """
    path = Path(path)
    made = _make_parents(path.parent)
    try:
        tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=TEMP_PREFIX, suffix=STAGING_SUFFIX))
    except BaseException:
        _remove_empty(made)
        raise
    fd = os.open(tmp, os.O_RDONLY)
    try:
        _lock(fd)
        yield tmp
        os.chmod(tmp, default_dir_mode())  # mkdtemp makes it private (0700)
        if path.exists() or path.is_symlink():
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path))
        os.rename(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        _remove_empty(made)
        raise
    finally:
        os.close(fd)


def sweep_stale_temp_dirs(folder: str | Path, min_age_s: float | None = None) -> list[str]:
    """Remove the temporary folders (``atomic_dir``) that killed writers left in ``folder``.

    Only folders named as ``atomic_dir`` names them, untouched for ``min_age_s`` seconds (default
    as for files) and not locked by a live writer, are removed, with what they hold.
    """
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return []
    age = min_age_s
    if age is None:
        age = LOCKED_STALE_AFTER_S if fcntl is not None else STALE_AFTER_S
    now = time.time()
    removed = []
    for entry in entries:
        if _OWN_DIR.fullmatch(entry.name) is None:
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode) or now - st.st_mtime < age:
            continue
        try:
            fd = os.open(entry.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue
        try:
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # its writer is alive
                except OSError:
                    pass
            if os.fstat(fd).st_ino != os.lstat(entry.path).st_ino:
                continue
            shutil.rmtree(entry.path, ignore_errors=True)
            if not os.path.lexists(entry.path):
                removed.append(entry.name)
        except OSError:
            continue
        finally:
            os.close(fd)
    return sorted(removed)
