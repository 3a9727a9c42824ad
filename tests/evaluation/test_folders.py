"""evaluation/folders.py: comparing two folders of images: the folders' common format, the result
file's name, and the one-line refusals made before any image is read or feature extracted."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganforge.errors import GanforgeError
from ganforge.evaluation import folders as F
from ganforge.evaluation.options import EvalOptions


def _folder(root: Path, sizes, mode="L") -> Path:
    """Black images of ``sizes`` (w, h) in Pillow ``mode`` (L, LA, RGB or I;16)."""
    root.mkdir(parents=True, exist_ok=True)
    for i, (w, h) in enumerate(sizes):
        # I;16: 16-bit grey, which Image.new cannot make from a mode name alone
        grey16 = Image.fromarray(np.zeros((h, w), np.uint16))
        (grey16 if mode == "I;16" else Image.new(mode, (w, h))).save(root / f"{i}.png")
    return root


def test_native_format_is_the_one_square_size_and_grey_only_if_every_file_is(tmp_path):
    assert F.native_format(_folder(tmp_path / "g", [(8, 8)] * 3), "--fake") == (8, 1)
    assert F.native_format(_folder(tmp_path / "la", [(8, 8)], "LA"), "--fake") == (8, 1)
    assert F.native_format(_folder(tmp_path / "i16", [(8, 8)], "I;16"), "--fake") == (8, 1)
    _folder(tmp_path / "m2", [(8, 8), (8, 8)])
    Image.new("RGB", (8, 8)).save(tmp_path / "m2" / "c.png")  # one colour file: colour
    assert F.native_format(tmp_path / "m2", "--fake") == (8, 3)
    (tmp_path / "m2" / "broken.png").write_bytes(b"not an image")  # skipped here
    assert F.native_format(tmp_path / "m2", "--fake") == (8, 3)


def test_native_format_refusals_say_how_to_fix_them(tmp_path):
    sizes = _folder(tmp_path / "s", [(8, 8), (8, 8), (16, 16)])
    with pytest.raises(GanforgeError) as e:
        F.native_format(sizes, "--real")
    assert "holds images of 2 sizes (8x8: 2, 16x16: 1); pass --resolution R" in str(e.value)
    with pytest.raises(GanforgeError, match="are 12x8, not square; pass --resolution R"):
        F.native_format(_folder(tmp_path / "w", [(12, 8)]), "--fake")
    (tmp_path / "empty").mkdir()
    with pytest.raises(GanforgeError, match="^--fake folder .*empty holds no images$"):
        F.native_format(tmp_path / "empty", "--fake")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.png").write_bytes(b"junk")
    with pytest.raises(GanforgeError, match="none of its 1 files can be read"):
        F.native_format(bad, "--fake")


def test_the_result_file_is_named_after_both_sides(tmp_path):
    fake = tmp_path / "my fakes"
    assert F.folder_json_path(fake, "fashion-mnist", "test", "fmnist") == Path(
        "eval-my-fakes-vs-fashion-mnist-test-fmnist.json"
    )
    real = f"folder:{tmp_path / 'reals'}"
    assert F.folder_json_path(fake, real, None, "inception").name == (
        "eval-my-fakes-vs-reals-inception.json"
    )


def test_bad_specs_are_refused_before_reading_anything(tmp_path):
    opts = EvalOptions()
    with pytest.raises(GanforgeError, match="^--direction is for image-to-image runs"):
        F.evaluate_folders("folder:x", "folder:y", EvalOptions(direction="AtoB"))
    with pytest.raises(GanforgeError, match="^--fake needs --real: folder:PATH or a data set"):
        F.evaluate_folders(f"folder:{tmp_path}", None, opts)
    with pytest.raises(GanforgeError, match="^--fake takes folder:PATH, got 'pics'$"):
        F.evaluate_folders("pics", "fashion-mnist", opts)
    with pytest.raises(GanforgeError, match="^--fake .*nowhere is not a folder of images$"):
        F.evaluate_folders(f"folder:{tmp_path / 'nowhere'}", "fashion-mnist", opts)
    a = _folder(tmp_path / "a", [(8, 8)])
    b = _folder(tmp_path / "b", [(16, 16)])
    with pytest.raises(GanforgeError, match="--fake images are 8x8 but --real images are 16x16"):
        F.evaluate_folders(f"folder:{a}", f"folder:{b}", opts)


def test_too_few_images_for_the_frechet_distance_is_refused_up_front(tmp_path):
    a = _folder(tmp_path / "a", [(8, 8)] * 3)
    b = _folder(tmp_path / "b", [(8, 8)] * 3)
    opts = EvalOptions(features="fmnist", metrics="fd")
    with pytest.raises(GanforgeError, match="--fake has 3 images to use; the Frechet distance on "):
        F.evaluate_folders(f"folder:{a}", f"folder:{b}", opts, json_path=tmp_path / "r.json")


def test_an_unwritable_result_folder_is_refused_before_the_features(tmp_path, monkeypatch):
    asked = []

    def no_write(path, mode):
        asked.append(Path(path))
        return False

    monkeypatch.setattr(F.os, "access", no_write)
    with pytest.raises(GanforgeError, match=r"r\.json: .* is not writable; pass --json PATH$"):
        F._check_writable(tmp_path / "missing" / "sub" / "r.json")
    assert asked == [tmp_path]  # the first folder that exists: the one mkdir would write into
