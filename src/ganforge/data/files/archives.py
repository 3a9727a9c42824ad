"""Extracting downloaded data set archives (.tar.gz, .zip) into the cache, safely and atomically.

An archive is extracted into a hidden temporary folder next to its destination, and only its data
set folder is renamed into place when everything went well: an interrupted run never leaves a
half-extracted data set under its real name.

The archive is untrusted input. PEP 706's ``filter="data"`` refuses absolute paths, ``..``, device
files and links that leave the *extraction* folder. That is not enough here: the data set is one
folder inside it, and a link such as ``cifar-10-batches-py/x -> ../x`` stays inside the temporary
folder but, once the data set is renamed into place, points one level above it, into the cache.
So every link, symbolic or hard, must stay inside the data set folder itself:

- each link member is checked before it is written (its target, taken literally, may not leave
  the data set folder, and no member may be written through a link extracted earlier: the trick
  behind the known escapes from the data filter);
- after extraction every symbolic link is resolved for real (``realpath(strict=True)``), which
  catches chains whose parts each looked harmless (``a -> .`` then ``b -> a/..``).

A link that leaves is refused with a one-line GanforgeError and nothing is kept. Refusing rather
than skipping: the published archives hold no links at all, so one that does is damaged or not the
archive it claims to be, and a data set with files silently missing is worse than a clear stop.
Zip archives cannot create links: Python's ``zipfile`` writes a stored link as a small file.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from ganforge.errors import GanforgeError


class _LinkOutside(Exception):
    """A link member that leaves the data set folder (turned into a GanforgeError)."""


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _through_link(dest: str, member_path: str) -> str | None:
    """The first already-extracted symbolic link among the folders of ``member_path``, if any."""
    parts = member_path.split("/")[:-1]
    for i in range(1, len(parts) + 1):
        here = os.path.join(dest, *parts[:i])
        if os.path.islink(here):
            return "/".join(parts[:i])
    return None


def links_stay_in(member_dir: str) -> Callable[[tarfile.TarInfo, str], tarfile.TarInfo | None]:
    """A tarfile extraction filter: the data filter, plus links that stay in ``member_dir``."""

    def check(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
        member = tarfile.data_filter(member, dest)
        name = posixpath.normpath(member.name)
        if (via := _through_link(dest, name)) is not None:
            raise _LinkOutside(f"{member.name!r} would be written through the link {via!r}")
        if member.issym() or member.islnk():
            # A symbolic link is relative to its folder; a hard link names an archive member.
            base = posixpath.dirname(name) if member.issym() else ""
            target = posixpath.normpath(posixpath.join(base, member.linkname))
            if not _inside(target, member_dir) or (
                member.islnk() and _through_link(dest, target + "/x") is not None
            ):
                kind = "symbolic" if member.issym() else "hard"
                raise _LinkOutside(
                    f"the {kind} link {member.name!r} -> {member.linkname!r} leaves {member_dir}/"
                )
        return member

    return check


def _check_symlinks_resolve_inside(folder: Path) -> None:
    """Every symbolic link under ``folder`` resolves, for real, to a path inside it."""
    real_folder = os.path.realpath(folder)
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                continue
            rel = Path(os.path.relpath(path, folder.parent)).as_posix()  # as the archive names it
            try:
                target = os.path.realpath(path, strict=True)
            except OSError as e:
                raise _LinkOutside(f"the link {rel!r} does not resolve ({e.strerror})") from None
            if not _inside(target, real_folder):
                raise _LinkOutside(f"the link {rel!r} resolves outside the data set folder")


def _refused(archive: Path, why: str) -> GanforgeError:
    return GanforgeError(
        f"cannot extract {archive}, not a safe data set archive ({why}): nothing was extracted; "
        "delete it (it will be fetched again) or replace it with the published file"
    )


def _unreadable(archive: Path, e: BaseException) -> GanforgeError:
    return GanforgeError(f"cannot extract {archive} ({e}): delete it and it will be fetched again")


@contextlib.contextmanager
def _staged(archive: Path, member_dir: str, dest: Path) -> Iterator[Path]:
    """A hidden temporary folder next to ``dest`` to extract into; when the body ends without an
    error its ``member_dir`` is renamed to ``dest``; the folder is always removed."""
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}."))
    try:
        yield tmp
        if not (tmp / member_dir).is_dir():
            raise GanforgeError(f"{archive} has no {member_dir}/ folder: is it the right archive?")
        os.replace(tmp / member_dir, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def extract_tar(archive: Path, member_dir: str, dest: Path) -> Path:
    """Extract ``member_dir`` of a .tar.gz to ``dest`` safely and atomically (see module doc)."""
    with _staged(archive, member_dir, dest) as tmp:
        try:
            with tarfile.open(archive, "r:gz") as tar:
                members = [
                    m
                    for m in tar.getmembers()
                    if m.name == member_dir or m.name.startswith(member_dir + "/")
                ]
                tar.extractall(tmp, members=members, filter=links_stay_in(member_dir))
            if (tmp / member_dir).is_dir():
                _check_symlinks_resolve_inside(tmp / member_dir)
        except (_LinkOutside, tarfile.FilterError) as e:
            raise _refused(archive, str(e)) from None
        except (tarfile.TarError, OSError, EOFError) as e:
            raise _unreadable(archive, e) from None
    return dest


def extract_zip(archive: Path, member_dir: str, dest: Path) -> Path:
    """Extract ``member_dir/`` of a zip to ``dest`` atomically, refusing paths that leave it."""
    with _staged(archive, member_dir, dest) as tmp:
        try:
            with zipfile.ZipFile(archive) as z:
                for info in z.infolist():
                    name = info.filename
                    if not (name == member_dir + "/" or name.startswith(member_dir + "/")):
                        continue
                    target = (tmp / name).resolve()
                    if not target.is_relative_to(tmp.resolve()) or Path(name).is_absolute():
                        raise GanforgeError(
                            f"{archive} holds an unsafe path {name!r}: not extracted"
                        )
                    z.extract(info, tmp)
        except (zipfile.BadZipFile, OSError, EOFError) as e:
            raise _unreadable(archive, e) from None
    return dest
