"""Checksummed downloads into the cache folder, with a by-hand route when offline.

A file only ever appears under its final name after its checksum matched: it is streamed into a
hidden temporary file in the same folder (so the final ``os.replace`` is an atomic rename on one
file system) and the temporary file is removed on any failure. Checksums follow the published
values of each data set (see ``sources.py``); most are SHA-256, a few data sets publish only MD5,
written ``"md5:<hex>"``.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from ganforge.atomic import publish
from ganforge.config import DataConfig
from ganforge.errors import GanforgeError

_CHUNK = 1 << 20


def cache_dir(cfg: DataConfig | None = None) -> Path:
    """The cache folder: ``cfg.cache_dir``, else $GANFORGE_CACHE, else ~/.cache/ganforge."""
    chosen = (cfg.cache_dir if cfg is not None else "") or os.environ.get("GANFORGE_CACHE", "")
    return Path(chosen or "~/.cache/ganforge").expanduser()


def offline() -> bool:
    """True when ``$GANFORGE_OFFLINE`` is set (to anything but 0): no download is attempted, the
    way ``HF_HUB_OFFLINE`` works (the test suite sets it, so it never reaches the network)."""
    return os.environ.get("GANFORGE_OFFLINE", "0") not in ("", "0")


def parse_digest(digest: str) -> tuple[str, str]:
    """``"<64 hex>"`` or ``"sha256:<hex>"`` -> ("sha256", hex); ``"md5:<hex>"`` -> ("md5", hex)."""
    algo, _, value = digest.rpartition(":")
    algo = algo.lower() or "sha256"
    value = value.lower()
    sizes = {"sha256": 64, "md5": 32}
    if (
        algo not in sizes
        or len(value) != sizes[algo]
        or any(c not in "0123456789abcdef" for c in value)
    ):
        raise ValueError(f"not a sha256 or md5:<hex> checksum: {digest!r}")
    return algo, value


def file_digest(path: str | Path, algo: str = "sha256") -> str:
    """Hex digest of a file, read in chunks (data set archives can be hundreds of MB)."""
    # MD5 only identifies files whose publishers give nothing stronger; it is not used for security.
    h = hashlib.new(algo, usedforsecurity=False) if algo == "md5" else hashlib.new(algo)
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def verify(path: str | Path, digest: str) -> tuple[bool, str]:
    """(matches, actual hex digest) of ``path`` against ``digest``."""
    algo, expected = parse_digest(digest)
    actual = file_digest(path, algo)
    return actual == expected, actual


def fetch(
    url: str,
    sha256: str,
    dest_path: str | Path,
    *,
    allow_download: bool = True,
    timeout: float = 60.0,
) -> Path:
    """Return ``dest_path`` holding the file at ``url`` whose checksum is ``sha256``.

    ``sha256`` is a SHA-256 hex digest, or ``"md5:<hex>"`` for files published with MD5 only.
    An existing file is verified, never downloaded again; a mismatch is a GanforgeError (a stale
    or damaged copy must not silently become training data). Without ``allow_download``, or when
    the download fails, the error names the file, the URL and the folder to put it in by hand.
    """
    dest = Path(dest_path).expanduser()
    algo, expected = parse_digest(sha256)
    if dest.exists():
        ok, actual = verify(dest, sha256)
        if not ok:
            raise GanforgeError(
                f"{dest} exists but its {algo} is {actual}, not {expected}: delete it (it will be "
                f"downloaded again) or replace it with a good copy of {url}"
            )
        return dest
    by_hand = f"download {url} and save it as {dest.name} in {dest.parent}"
    if allow_download and offline():
        raise GanforgeError(
            f"{dest.name} is not in {dest.parent} and downloads are off ($GANFORGE_OFFLINE is set): "
            f"{by_hand}"
        )
    if not allow_download:
        raise GanforgeError(
            f"{dest.name} is not in {dest.parent} and downloads are off (data.download=false): "
            f"{by_hand}"
        )
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise GanforgeError(
            f"cannot create {dest.parent} ({e.strerror}): set data.cache_dir"
        ) from None
    print(f"downloading {url} -> {dest}", file=sys.stderr)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        h = hashlib.new(algo, usedforsecurity=False) if algo == "md5" else hashlib.new(algo)
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
                size, expected_size = 0, resp.headers.get("Content-Length")
                while chunk := resp.read(_CHUNK):
                    h.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                # read(n) returns short at end of stream instead of raising: a connection dropped
                # mid-file shows up only as fewer bytes than the server announced.
                if expected_size is not None and size != int(expected_size):
                    raise http.client.IncompleteRead(b"", int(expected_size) - size)
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as e:
            # HTTPException covers IncompleteRead, a connection dropped mid-file.
            reason = getattr(e, "reason", None) or repr(e)
            raise GanforgeError(
                f"could not download {dest.name} from {url} ({reason}): {by_hand}"
            ) from None
        if h.hexdigest() != expected:
            raise GanforgeError(
                f"downloaded {dest.name} from {url} has {algo} {h.hexdigest()} not {expected}; "
                f"corrupt transfer or changed file, nothing was kept: try again or {by_hand}"
            )
        publish(tmp, dest)  # mkstemp's 0600 -> an ordinary file's mode
    finally:
        tmp.unlink(missing_ok=True)
    return dest
