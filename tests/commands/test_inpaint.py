"""commands/inpaint.py: `ganforge inpaint` on one image or a folder, at any size, with every bad
input of issue #25 as one line, exit 2 and nothing written."""

import numpy as np
import pytest
from PIL import Image

from ganforge.commands import inpaint
from ganforge.inference.inpainter import DEFAULT_TILE
from ganforge.runs import load_run
from tiny_inpaint import train_tiny_inpaint


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return train_tiny_inpaint(tmp_path_factory.mktemp("inpaint"))


def _image(path, h, w, mode="L", seed=0):
    rng = np.random.default_rng(seed)
    c = {"L": 1, "RGB": 3, "RGBA": 4}[mode]
    arr = rng.integers(0, 256, (h, w, c), dtype=np.uint8)
    Image.fromarray(arr[..., 0] if c == 1 else arr, mode).save(path)
    return arr


def _mask(path, h, w, box=(2, 3, 9, 11), mode="L"):
    arr = np.zeros((h, w), np.uint8)
    y0, x0, y1, x1 = box
    arr[y0:y1, x0:x1] = 255
    img = Image.fromarray(arr, "L")
    (img.convert(mode) if mode != "L" else img).save(path)
    return arr > 127


def test_the_default_tile_is_the_libraries():
    # Repeated in the command so that `ganforge --help` imports no torch: it must not drift.
    assert inpaint.DEFAULT_TILE == DEFAULT_TILE


def test_one_image_of_any_size_keeps_its_known_pixels(run, tmp_path, ganforge_cli):
    pixels = _image(tmp_path / "photo.png", 37, 23)
    hole = _mask(tmp_path / "mask.png", 37, 23, mode="RGB")  # any mode: white = missing
    out = tmp_path / "restored.png"
    ganforge_cli(
        "inpaint", run, tmp_path / "photo.png", "--mask", tmp_path / "mask.png", "--out", out
    )
    got = np.array(Image.open(out))
    assert got.shape == (37, 23)
    assert np.array_equal(got[~hole], pixels[..., 0][~hole])
    assert not np.array_equal(got[hole], pixels[..., 0][hole])


def test_a_folder_is_paired_by_file_stem_and_tiled_when_large(run, tmp_path, ganforge_cli):
    photos, masks, out = tmp_path / "photos", tmp_path / "masks", tmp_path / "out"
    photos.mkdir(), masks.mkdir()
    context = load_run(run).model.context
    tile = 2 * -(-context // 4) * 4 + 16  # margins covering the receptive field, a 16 px core
    sizes = {"a": (16, 16), "b": (40, 2 * tile + 3)}
    for name, (h, w) in sizes.items():
        _image(photos / f"{name}.png", h, w, mode="RGB")
        _mask(masks / f"{name}.png", h, w)
    ganforge_cli("inpaint", run, photos, "--masks", masks, "--out", out, "--tile", tile)
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.png"]
    assert np.array(Image.open(out / "b.png")).shape == sizes["b"]  # the run's grey channel
    ganforge_cli("inpaint", run, photos, "--masks", masks, "--out", tmp_path / "whole")
    tiled, whole = (
        np.array(Image.open(d / "b.png")).astype(int) for d in (out, tmp_path / "whole")
    )
    assert np.abs(tiled - whole).max() <= 1  # tiles with margins compute the whole pass


def _bad(run, tmp_path, ganforge_cli, *argv, match):
    out = tmp_path / "out"
    err = ganforge_cli("inpaint", run, *argv, "--out", out, code=2).err
    assert match in err, err
    assert not out.exists() or not any(out.iterdir())  # nothing half-written


def test_every_bad_input_is_one_line_and_writes_nothing(run, tmp_path, ganforge_cli):
    _image(tmp_path / "p.png", 16, 16)
    _mask(tmp_path / "small.png", 12, 16)
    Image.fromarray(np.zeros((16, 16), np.uint8)).save(tmp_path / "black.png")
    Image.fromarray(np.full((16, 16), 255, np.uint8)).save(tmp_path / "white.png")
    (tmp_path / "text.png").write_text("not an image")
    p = tmp_path / "p.png"
    cases = [
        ("small.png", "is 16x12 pixels but its image is 16x16"),
        ("text.png", "text.png"),
        ("black.png", "all black: nothing to fill"),
        ("white.png", "all white: no pixel of its image is known"),
        ("none.png", "does not exist"),
    ]
    for mask, match in cases:
        _bad(run, tmp_path, ganforge_cli, p, "--mask", tmp_path / mask, match=match)
    _bad(run, tmp_path, ganforge_cli, p, match="give the mask of")


def test_a_folder_lacking_masks_names_the_images(run, tmp_path, ganforge_cli):
    photos, masks = tmp_path / "photos", tmp_path / "masks"
    photos.mkdir(), masks.mkdir()
    for name in ("a", "b", "c"):
        _image(photos / f"{name}.png", 16, 16)
    _mask(masks / "b.png", 16, 16)
    _bad(
        run,
        tmp_path,
        ganforge_cli,
        photos,
        "--masks",
        masks,
        match="no mask for 2 image(s): a.png, c.png",
    )
    # a bad mask anywhere in the folder stops the command before the first output
    _mask(masks / "a.png", 16, 16)
    Image.fromarray(np.zeros((16, 16), np.uint8)).save(masks / "c.png")
    _bad(run, tmp_path, ganforge_cli, photos, "--masks", masks, match="c.png is all black")


def test_a_run_without_the_inpaint_use_is_refused(dcgan_run, tmp_path, ganforge_cli):
    _image(tmp_path / "p.png", 16, 16)
    _mask(tmp_path / "m.png", 16, 16)
    err = ganforge_cli(
        "inpaint",
        dcgan_run,
        tmp_path / "p.png",
        "--mask",
        tmp_path / "m.png",
        "--out",
        tmp_path / "o.png",
        code=2,
    ).err
    assert "cannot inpaint" in err and "its uses: sample" in err
    assert not (tmp_path / "o.png").exists()
