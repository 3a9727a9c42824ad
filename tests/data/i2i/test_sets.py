"""data/i2i/sets.py: the standard pix2pix / CycleGAN sets offline, and safe archive extraction."""

import zipfile

import numpy as np
import pytest
from PIL import Image

from ganforge.data.i2i.sets import PAIRED_SETS, UNPAIRED_SETS, extract_zip, locate_set
from ganforge.errors import GanforgeError


@pytest.fixture(autouse=True)
def _downloads_allowed(monkeypatch):
    # Downloads here come from a server on 127.0.0.1 (or an unreachable address) only.
    monkeypatch.delenv("GANFORGE_OFFLINE", raising=False)


def _rgb(h, w, value):
    return Image.fromarray(np.full((h, w, 3), value, dtype=np.uint8))


def test_standard_sets_fail_offline_naming_the_file(tmp_path):
    with pytest.raises(
        GanforgeError,
        match=r"download http://\S+/pix2pix/datasets/facades\.tar\.gz and save it as \S+facades\.tar\.gz",
    ):
        locate_set(PAIRED_SETS["facades"], tmp_path, allow_download=True)
    with pytest.raises(GanforgeError, match=r"horse2zebra\.zip is not in .*downloads are off"):
        locate_set(UNPAIRED_SETS["horse2zebra"], tmp_path, allow_download=False)
    assert list(tmp_path.iterdir()) == []  # a failed look-up leaves the cache untouched
    # An archive put there by hand (pix2pix publishes no checksum) is extracted, with a note.
    import tarfile

    src = tmp_path / "src" / "facades" / "train"
    src.mkdir(parents=True)
    _rgb(4, 8, 9).save(src / "1.png")
    (tmp_path / "i2i").mkdir(exist_ok=True)
    with tarfile.open(tmp_path / "i2i" / "facades.tar.gz", "w:gz") as t:
        t.add(tmp_path / "src" / "facades", arcname="facades")
    folder, notes = locate_set(PAIRED_SETS["facades"], tmp_path, allow_download=False)
    assert (folder / "train" / "1.png").is_file() and "without verification" in notes[0]


def test_extract_zip_refuses_paths_outside(tmp_path):
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("set/trainA/ok.png", b"x")
        z.writestr("set/../../evil.txt", b"x")
    with pytest.raises(GanforgeError, match="unsafe path"):
        extract_zip(bad, "set", tmp_path / "set")
    assert not (tmp_path / "set").exists() and not (tmp_path.parent / "evil.txt").exists()
