"""The image-to-image readers' file handling: hostile files listed, the pixel limit applied."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganforge.data.i2i.image_files import cleaner, fit_square, list_images, read_images
from ganforge.data.i2i.unpaired import load_unpaired
from ganforge.errors import GanforgeError


def test_broken_links_and_fifos_are_listed_then_skipped_with_reasons(tmp_path):
    Image.new("RGB", (8, 8), (9, 9, 9)).save(tmp_path / "a.png")
    (tmp_path / "b.png").symlink_to("missing.png")
    (tmp_path / "c.png").symlink_to("c.png")
    os.mkfifo(tmp_path / "d.png")
    (tmp_path / "e.png").mkdir()  # a folder named like an image is not a file
    files = list_images(tmp_path)
    assert [p.name for p in files] == ["a.png", "b.png", "c.png", "d.png"]
    arrays, skipped = read_images(files, tmp_path, cleaner(8, 3, (0, 0, 0), "crop"), 8)
    assert arrays[0].shape == (3, 8, 8) and arrays[1:] == [None, None, None]
    assert [s["file"] for s in skipped] == ["b.png", "c.png", "d.png"]
    assert skipped[0]["reason"].startswith("broken symbolic link")


def test_unreadable_domain_folder_is_one_line(tmp_path, monkeypatch):
    Image.new("RGB", (8, 8)).save(tmp_path / "a.png")
    real = Path.iterdir

    def iterdir(self):
        if self == tmp_path:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    with pytest.raises(GanforgeError, match="cannot read folder .*Permission denied") as e:
        list_images(tmp_path)
    assert "\n" not in str(e.value)


def test_pixel_limit_reaches_the_unpaired_reader(tmp_path):
    for side in ("trainA", "trainB"):
        (tmp_path / side).mkdir()
        Image.new("RGB", (8, 8)).save(tmp_path / side / "small.png")
    Image.new("RGB", (40, 40)).save(tmp_path / "trainA" / "big.png")
    data = load_unpaired(tmp_path, "train", 8, 3, max_pixels=1000)
    assert data.report["n_a"] == 1 and data.report["n_skipped"] == 1
    assert data.report["skipped"][0]["file"] == "trainA/big.png"
    assert "over the 0.001 MP limit (data.max_pixels)" in data.report["skipped"][0]["reason"]


def _rgb(h, w, value):
    return Image.fromarray(np.full((h, w, 3), value, dtype=np.uint8))


def test_pad_keeps_a_wide_image_whole_and_crop_cuts_it():
    img = _rgb(10, 40, 0)  # black, 4:1
    padded = fit_square(img, 8, "pad", (255, 255, 255))
    assert padded[:, 0].min() == 255 and padded[:, 4].max() == 0  # white bands above and below
    cropped = fit_square(img, 8, "crop", (255, 255, 255))
    assert cropped.max() == 0
    grey = fit_square(img.convert("L"), 8, "pad", (255, 0, 0))
    assert grey.shape == (1, 8, 8) and grey[0, 0, 0] == 76  # red's luma
