"""data/recipe.py: the preset, resolution, channels and augmentation picked for a folder, from
file headers only, and the one line that says why."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from ganforge.data import recipe as R
from ganforge.errors import GanforgeError


def _folder(tmp_path, n: int, size=(40, 40), mode="RGB", name="imgs"):
    folder = tmp_path / name
    folder.mkdir()
    rng = np.random.default_rng(0)
    w, h = size
    channels = {"RGB": 3, "RGBA": 4, "L": 1}[mode]
    for i in range(n):
        arr = rng.integers(0, 256, (h, w, channels), dtype=np.uint8)
        Image.fromarray(arr.squeeze(), mode).save(folder / f"{i:04d}.png")
    return folder


@pytest.mark.parametrize(
    "n,policy,words",
    [(30, "diffaugment", "DiffAugment (under 1,000"), (1200, "ada", "adaptive ADA")],
)
def test_augmentation_follows_the_number_of_images(tmp_path, n, policy, words, monkeypatch):
    folder = _folder(tmp_path, min(n, 30))
    if n > 30:  # many files without writing them: the count comes from the listing
        real = R.walk_folder

        def many(root):
            scan = real(root)
            scan.images = scan.images * (n // len(scan.images) + 1)
            return scan

        monkeypatch.setattr(R, "walk_folder", many)
    rec = R.recipe_for_folder(folder)
    assert rec.preset == "r3gan-folder-64" and rec.overrides["augment.policy"] == policy
    assert words in rec.reason and "\n" not in rec.reason
    assert rec.overrides["description"] == rec.reason


def test_channels_follow_transparency_and_grey(tmp_path):
    assert (
        R.recipe_for_folder(_folder(tmp_path, 5, mode="RGBA", name="a")).overrides["data.channels"]
        == 4
    )
    grey = R.recipe_for_folder(_folder(tmp_path, 5, mode="L", name="g"))
    assert grey.overrides["data.channels"] == 1 and "all sampled files grey" in grey.reason
    assert R.recipe_for_folder(_folder(tmp_path, 5, name="c")).overrides["data.channels"] == 3


def test_resolution_never_upscales_and_keeps_a_shared_aspect(tmp_path):
    small = R.recipe_for_folder(_folder(tmp_path, 3, size=(40, 40), name="s"))
    assert small.overrides["data.resolution"] == 32  # 40 px images: not blown up to 64
    big = R.recipe_for_folder(_folder(tmp_path, 3, size=(300, 300), name="b"))
    assert big.overrides["data.resolution"] == 64  # the CPU-friendly cap
    wide = R.recipe_for_folder(_folder(tmp_path, 3, size=(300, 200), name="w"))  # 3:2 photos
    assert wide.overrides["data.resolution"] == [64, 96] and "64x96 px" in wide.reason


def test_nothing_usable_is_one_line(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(GanforgeError, match="is empty"):
        R.recipe_for_folder(empty)
    (empty / "notes.txt").write_text("hello")
    with pytest.raises(GanforgeError, match="has no image files"):
        R.recipe_for_folder(empty)
    (empty / "x.png").write_bytes(b"not an image")
    with pytest.raises(GanforgeError, match="none of the 1 sampled image files .* could be read"):
        R.recipe_for_folder(empty)
    with pytest.raises(GanforgeError, match="does not exist"):
        R.recipe_for_folder(tmp_path / "missing")
    with pytest.raises(GanforgeError, match="is a file"):
        R.recipe_for_folder(empty / "notes.txt")


@pytest.mark.parametrize("mode, channels", [("L", 1), ("RGB", 3), ("RGBA", 3)])
def test_source_channels_of_a_folder_from_its_headers(tmp_path, mode, channels):
    from ganforge.config import DataConfig

    folder = _folder(tmp_path, 5, mode=mode)
    got, why = R.source_channels(DataConfig(source=f"folder:{folder}"))
    assert got == channels and why


def test_source_channels_of_a_canonical_set_from_its_stored_shape():
    from ganforge.config import DataConfig

    assert R.source_channels(DataConfig(source="fashion-mnist", split="test", channels=3)) == (
        1,
        "its images are grey",
    )
