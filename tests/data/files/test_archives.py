"""Archive extraction: links must stay inside the data set folder, or nothing is extracted."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from ganforge.data.files.archives import extract_tar
from ganforge.errors import GanforgeError


def _tar(path: Path, members: list[tuple[str, str, str]]) -> Path:
    """A .tar.gz of (name, kind, content or link target), kind one of file, dir, sym, hard."""
    with tarfile.open(path, "w:gz") as t:
        for name, kind, value in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(value)
                t.addfile(info, io.BytesIO(value.encode()))
                continue
            info.type = {"dir": tarfile.DIRTYPE, "sym": tarfile.SYMTYPE, "hard": tarfile.LNKTYPE}[
                kind
            ]
            info.linkname = value
            info.mode = 0o755 if kind == "dir" else 0o644
            t.addfile(info)
    return path


def _cache(tmp_path: Path) -> Path:
    """A cache folder with a file a hostile archive would like to reach."""
    cache = tmp_path / "cache" / "cifar10"
    cache.mkdir(parents=True)
    (cache / "secret.txt").write_text("private")
    return cache


GOOD = [("set", "dir", ""), ("set/a", "dir", ""), ("set/a/1.png", "file", "png bytes")]


@pytest.mark.parametrize(
    "extra,why",
    [
        ([("set/evil", "sym", "../secret.txt")], "the symbolic link 'set/evil' -> '../secret.txt'"),
        ([("set/up", "sym", "..")], "leaves set/"),
        ([("other.txt", "file", "x"), ("set/h", "hard", "other.txt")], "the hard link 'set/h'"),
        ([("set/abs", "sym", "/etc/passwd")], "set/abs"),  # PEP 706's own filter
        # Each link looks harmless alone: p is the folder itself, and x is "p/.." = set, on paper.
        # Resolved, x is the parent of set: caught by the check after extraction.
        ([("set/p", "sym", "."), ("set/x", "sym", "p/..")], "'set/x' resolves outside"),
        ([("set/d", "sym", "a"), ("set/d/2.png", "file", "x")], "written through the link"),
    ],
)
def test_links_leaving_the_data_set_are_refused(tmp_path, extra, why):
    cache = _cache(tmp_path)
    archive = _tar(cache / "set.tar.gz", GOOD + extra)
    with pytest.raises(GanforgeError) as e:
        extract_tar(archive, "set", cache / "set")
    message = str(e.value)
    assert why in message and "\n" not in message, message
    assert "nothing was extracted" in message
    assert sorted(p.name for p in cache.iterdir()) == ["secret.txt", "set.tar.gz"]


def test_links_inside_the_data_set_are_kept(tmp_path):
    cache = _cache(tmp_path)
    members = GOOD + [
        ("set/b", "dir", ""),
        ("set/b/link.png", "sym", "../a/1.png"),
        ("set/b/hard.png", "hard", "set/a/1.png"),
    ]
    dest = extract_tar(_tar(cache / "set.tar.gz", members), "set", cache / "set")
    assert (dest / "b" / "link.png").is_symlink()
    assert (dest / "b" / "link.png").read_text() == "png bytes"  # still resolves after the move
    assert (dest / "b" / "hard.png").read_text() == "png bytes"
    assert not [p for p in cache.iterdir() if p.name.startswith(".")]  # no temporary folder left
