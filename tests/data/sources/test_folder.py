"""Image folders: transparency, bit depth, layout, bad files, and the errors a user can hit."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.config import DataConfig
from ganforge.data import load_data
from ganforge.data.sources import folder as folder_mod
from ganforge.data.sources.folder import load_folder
from ganforge.errors import GanforgeError


def _rgba_half_transparent(size: int = 32) -> Image.Image:
    """Left half: red with alpha 0; right half: opaque blue."""
    a = np.zeros((size, size, 4), np.uint8)
    a[:, : size // 2] = (255, 0, 0, 0)
    a[:, size // 2 :] = (0, 0, 255, 255)
    return Image.fromarray(a, "RGBA")


def test_rgba_on_white_background(tmp_path):
    _rgba_half_transparent().save(tmp_path / "a.png")
    data = load_folder(tmp_path, resolution=16, channels=3, background="white")
    x = data.images[0].permute(1, 2, 0).numpy().astype(int)  # (16, 16, 3)
    # Away from the seam, transparent pixels are exactly the background and opaque ones unchanged.
    assert (x[:, :5] == 255).all(), x[:, :5].min()
    assert (x[:, 11:] == (0, 0, 255)).all()


def test_rgba_on_custom_background_and_half_alpha(tmp_path):
    a = np.zeros((8, 8, 4), np.uint8)
    a[..., :3] = (200, 100, 0)
    a[..., 3] = 128
    Image.fromarray(a, "RGBA").save(tmp_path / "half.png")
    data = load_folder(tmp_path, resolution=8, channels=3, background="#000080")
    px = data.images[0, :, 4, 4].tolist()
    # (c * 128 + bg * 127) / 255 per channel, rounded.
    expect = [round((c * 128 + b * 127) / 255) for c, b in zip((200, 100, 0), (0, 0, 128))]
    assert px == expect


def test_palette_with_transparency(tmp_path):
    p = Image.new("P", (16, 16), 0)
    p.putpalette([0, 255, 0] + [255, 0, 0] * 255)  # index 0 green (transparent), 1.. red
    p.paste(1, (8, 0, 16, 16))
    p.info["transparency"] = 0
    p.save(tmp_path / "pal.png", transparency=0)
    assert Image.open(tmp_path / "pal.png").mode == "P"
    data = load_folder(tmp_path, resolution=16, channels=3, background="white")
    x = data.images[0].permute(1, 2, 0).numpy().astype(int)
    assert (x[:, :6] == 255).all()  # the transparent green is gone
    assert (x[:, 10:] == (255, 0, 0)).all()


def test_la_grey_with_alpha(tmp_path):
    a = np.zeros((16, 16, 2), np.uint8)
    a[..., 0] = 40
    a[:, 8:, 1] = 255  # right half opaque dark grey, left half transparent
    Image.fromarray(a, "LA").save(tmp_path / "la.png")
    data = load_folder(tmp_path, resolution=16, channels=1, background="white")
    x = data.images[0, 0].numpy().astype(int)
    assert (x[:, :6] == 255).all() and (x[:, 10:] == 40).all()


def test_sixteen_bit_png_is_scaled_not_truncated(tmp_path):
    a = np.zeros((16, 16), np.uint16)
    a[:, 8:] = 65535
    a[:8, :8] = 32896  # 128 * 257
    Image.fromarray(a).save(tmp_path / "deep.png")
    assert Image.open(tmp_path / "deep.png").mode.startswith("I")
    x = load_folder(tmp_path, resolution=16, channels=1).images[0, 0].numpy()
    assert x[12, 12] == 255 and x[2, 2] == 128 and x[12, 2] == 0


def test_grey_for_rgb_matches_pillow_luma(tmp_path):
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    Image.fromarray(a).save(tmp_path / "rgb.png")
    x = load_folder(tmp_path, resolution=8, channels=1).images[0, 0].numpy()
    np.testing.assert_array_equal(x, np.asarray(Image.fromarray(a).convert("L")))


def test_grey_image_to_three_channels(tmp_path):
    Image.new("L", (8, 8), 77).save(tmp_path / "g.png")
    x = load_folder(tmp_path, resolution=8, channels=3).images
    assert x.shape == (1, 3, 8, 8) and (x == 77).all()


@pytest.mark.parametrize("size", [(60, 20), (20, 60)])
def test_non_square_is_centre_cropped(tmp_path, size):
    w, h = size
    a = np.zeros((h, w, 3), np.uint8)
    a[...] = (255, 0, 0)  # red margins
    if w > h:
        a[:, 20:40] = (0, 255, 0)  # green centre square
    else:
        a[20:40, :] = (0, 255, 0)
    Image.fromarray(a).save(tmp_path / "wide.png")
    x = load_folder(tmp_path, resolution=10, channels=3).images[0]
    assert x.shape == (3, 10, 10)
    centre = x[:, 2:8, 2:8].permute(1, 2, 0).numpy().astype(int)
    assert np.abs(centre - (0, 255, 0)).max() <= 2
    assert x[0].float().mean() < 30  # the red margins were cropped away


def test_downscale_is_antialiased(tmp_path):
    # A 1-pixel checkerboard must average to mid-grey, not alias to black or white.
    a = (np.indices((64, 64)).sum(0) % 2 * 255).astype(np.uint8)
    Image.fromarray(a).save(tmp_path / "check.png")
    x = load_folder(tmp_path, resolution=8, channels=1).images[0, 0].float()
    assert (x - 127.5).abs().max() < 10


def test_class_subfolders_become_labels(tmp_path):
    for cls, n, colour in (("zebra", 2, 10), ("ant", 3, 200), ("cat", 1, 90)):
        (tmp_path / cls).mkdir()
        for i in range(n):
            Image.new("L", (8, 8), colour).save(tmp_path / cls / f"{i}.png")
    (tmp_path / "ant" / "deeper").mkdir()
    Image.new("L", (8, 8), 200).save(tmp_path / "ant" / "deeper" / "x.jpg")
    data = load_folder(tmp_path, resolution=8, channels=1)
    assert data.class_names == ["ant", "cat", "zebra"] and data.num_classes == 3
    assert data.labels.tolist() == [0, 0, 0, 0, 1, 2, 2]
    # Labels follow the images: each class has its own grey level.
    assert data.images[data.labels == 2].float().mean().round() == 10
    assert data.report["class_counts"] == {"ant": 4, "cat": 1, "zebra": 2}
    assert data.report["layout"] == "class sub-folders"


def test_images_at_top_level_make_one_class(tmp_path):
    Image.new("L", (8, 8)).save(tmp_path / "top.png")
    (tmp_path / "sub").mkdir()
    Image.new("L", (8, 8)).save(tmp_path / "sub" / "a.png")
    data = load_folder(tmp_path, resolution=8, channels=1)
    assert data.num_classes == 1 and data.labels.tolist() == [0, 0]
    assert data.report["layout"] == "single class"


def _valid_png_bytes() -> bytes:
    import io

    buf = io.BytesIO()
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def test_bad_files_are_skipped_and_reported(tmp_path):
    Image.new("RGB", (8, 8), (1, 2, 3)).save(tmp_path / "good.png")
    (tmp_path / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 50)
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "truncated.png").write_bytes(_valid_png_bytes()[:2000])
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / ".DS_Store").write_bytes(b"\0")
    data = load_folder(tmp_path, resolution=8, channels=3)
    r = data.report
    assert len(data) == 1 and r["n_images"] == 1 and r["n_files"] == 4
    assert r["n_skipped"] == 3
    reasons = {s["file"]: s["reason"] for s in r["skipped"]}
    assert set(reasons) == {"corrupt.png", "empty.jpg", "truncated.png"}
    assert "0 bytes" in reasons["empty.jpg"]
    assert "truncated" in reasons["truncated.png"] or "corrupt" in reasons["truncated.png"]
    assert r["n_ignored"] == 2 and sorted(r["ignored"]) == [".DS_Store", "notes.txt"]
    assert any("skipped 3 image file(s)" in w for w in r["warnings"])
    json.dumps(r)


def test_missing_folder(tmp_path):
    with pytest.raises(GanforgeError, match="does not exist"):
        load_folder(tmp_path / "nope", 8, 1)


def test_file_instead_of_folder(tmp_path):
    (tmp_path / "x.png").write_bytes(b"")
    with pytest.raises(GanforgeError, match="not a folder"):
        load_folder(tmp_path / "x.png", 8, 1)


def test_empty_folder(tmp_path):
    with pytest.raises(GanforgeError, match="is empty") as e:
        load_folder(tmp_path, 8, 1)
    assert str(tmp_path) in str(e.value)


def test_folder_without_images(tmp_path):
    (tmp_path / "readme.txt").write_text("x")
    (tmp_path / "data.csv").write_text("x")
    with pytest.raises(GanforgeError, match="no image files") as e:
        load_folder(tmp_path, 8, 1)
    assert ".png" in str(e.value) and "readme.txt" in str(e.value)


def test_folder_of_only_corrupt_images(tmp_path):
    (tmp_path / "a.png").write_bytes(b"nope")
    (tmp_path / "b.jpg").write_bytes(b"")
    with pytest.raises(GanforgeError, match="none of the 2 image files") as e:
        load_folder(tmp_path, 8, 1)
    assert "\n" not in str(e.value)


def test_bad_background_colour(tmp_path):
    Image.new("L", (8, 8)).save(tmp_path / "a.png")
    with pytest.raises(GanforgeError, match="data.background"):
        load_folder(tmp_path, 8, 1, background="not-a-colour")


def test_load_data_folder_source_and_max_images(tmp_path):
    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        for i in range(5):
            Image.new("RGB", (12, 9), (i * 20, 0, 0)).save(tmp_path / cls / f"{i}.png")
    cfg = DataConfig(source=f"folder:{tmp_path}", resolution=8, channels=3, max_images=4)
    data = load_data(cfg)
    assert data.images.shape == (4, 3, 8, 8)
    assert sorted(set(data.labels.tolist())) == [0, 1]  # the subset keeps both classes
    assert data.report["paths"] == [str(tmp_path)] and data.report["source"] == cfg.source
    json.dumps(data.report)


def test_folder_source_without_path():
    with pytest.raises(GanforgeError, match="needs a path"):
        load_data(DataConfig(source="folder:"))


def test_cache_is_reused_and_invalidated(tmp_path, monkeypatch):
    monkeypatch.setattr(folder_mod, "CACHE_MIN_FILES", 1)
    imgs, cache = tmp_path / "imgs", tmp_path / "cache"
    imgs.mkdir()
    for i in range(3):
        Image.new("L", (8, 8), i * 50).save(imgs / f"{i}.png")
    first = load_folder(imgs, 8, 1, cache_dir=cache)
    assert first.report["cache"]["hit"] is False
    second = load_folder(imgs, 8, 1, cache_dir=cache)
    assert second.report["cache"]["hit"] is True
    assert (second.images == first.images).all() and second.class_names == first.class_names
    Image.new("L", (8, 8), 255).save(imgs / "0.png")  # changed content: new key
    third = load_folder(imgs, 8, 1, cache_dir=cache)
    assert third.report["cache"]["hit"] is False and third.images[0].min() == 255
    other_size = load_folder(imgs, 4, 1, cache_dir=cache)  # options are part of the key
    assert other_size.images.shape[-1] == 4 and other_size.report["cache"]["hit"] is False
    assert not [p for p in (cache / "folders").iterdir() if p.name.endswith(".part")]


def test_large_jpeg_uses_draft_and_keeps_colour(tmp_path):
    Image.new("RGB", (800, 600), (30, 160, 220)).save(tmp_path / "photo.jpg", quality=95)
    x = load_folder(tmp_path, resolution=16, channels=3).images[0]
    assert x.shape == (3, 16, 16)
    assert (x.float().mean((1, 2)) - torch.tensor([30.0, 160.0, 220.0])).abs().max() < 4


def test_oversized_image_is_skipped(tmp_path, monkeypatch):
    Image.new("L", (8, 8)).save(tmp_path / "small.png")
    Image.new("L", (40, 40)).save(tmp_path / "huge.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    data = load_folder(tmp_path, resolution=8, channels=1)
    assert len(data) == 1 and data.report["skipped"][0]["file"] == "huge.png"
    assert "too large" in data.report["skipped"][0]["reason"]


# --------------------------------------------------------------------------- hostile folders


def _refuse_scandir(monkeypatch, *names: str) -> None:
    """Make os.walk's listing of the folders called ``names`` fail as chmod 000 would: tests run
    as root here, where chmod does not deny reads."""
    real = os.scandir

    def scandir(path="."):
        if Path(path).name in names:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)


def test_unreadable_class_folder_is_reported_not_dropped(tmp_path, monkeypatch):
    for cls in ("cat", "dog", "lost+found"):
        (tmp_path / cls).mkdir()
    Image.new("L", (8, 8), 10).save(tmp_path / "cat" / "a.png")
    Image.new("L", (8, 8), 20).save(tmp_path / "dog" / "b.png")
    _refuse_scandir(monkeypatch, "dog", "lost+found")
    data = load_folder(tmp_path, 8, 1)
    r = data.report
    assert data.class_names == ["cat"] and len(data) == 1
    assert [s["file"] for s in r["skipped"]] == ["dog/", "lost+found/"]
    assert r["skipped"][0]["reason"].startswith("folder cannot be read (Permission denied)")
    assert r["n_skipped_folders"] == 2 and r["n_skipped"] == 0
    assert any("skipped 2 folder(s)" in w for w in r["warnings"])
    json.dumps(r)


def test_only_unreadable_folders_is_an_error(tmp_path, monkeypatch):
    (tmp_path / "cls").mkdir()
    Image.new("L", (8, 8)).save(tmp_path / "cls" / "a.png")
    _refuse_scandir(monkeypatch, "cls")
    with pytest.raises(GanforgeError, match="no image files it can read.*cls/") as e:
        load_folder(tmp_path, 8, 1)
    assert "\n" not in str(e.value)
    _refuse_scandir(monkeypatch, tmp_path.name)
    with pytest.raises(GanforgeError, match="cannot read image folder .*Permission denied"):
        load_folder(tmp_path, 8, 1)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads chmod 000 files and folders anyway")
def test_chmod_000_folder_and_file_are_reported(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    Image.new("L", (8, 8)).save(tmp_path / "a" / "ok.png")
    Image.new("L", (8, 8)).save(tmp_path / "a" / "locked.png")
    Image.new("L", (8, 8)).save(tmp_path / "b" / "x.png")
    (tmp_path / "a" / "locked.png").chmod(0)
    (tmp_path / "b").chmod(0)
    try:
        r = load_folder(tmp_path, 8, 1).report
    finally:
        (tmp_path / "b").chmod(0o755)
    reasons = {s["file"]: s["reason"] for s in r["skipped"]}
    assert reasons["a/locked.png"].startswith("cannot be read")
    assert reasons["b/"].startswith("folder cannot be read")


def test_unreadable_file_is_reported(tmp_path, monkeypatch):
    Image.new("L", (8, 8)).save(tmp_path / "ok.png")
    Image.new("L", (8, 8)).save(tmp_path / "locked.png")
    real = os.open

    def os_open(path, flags, *args, **kwargs):
        if Path(path).name == "locked.png":
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path, flags, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(os, "open", os_open)
        r = load_folder(tmp_path, 8, 1).report
    assert r["skipped"] == [
        {"file": "locked.png", "reason": "cannot be read (Permission denied): fix its permissions"}
    ]


def test_hostile_files_are_loaded_or_listed_with_a_reason(tmp_path):
    root, outside = tmp_path / "data", tmp_path / "elsewhere"
    root.mkdir()
    outside.mkdir()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(root / "good.png")
    Image.new("RGB", (8, 8), (4, 5, 6)).save(outside / "theirs.png")
    (root / "outside.png").symlink_to(outside / "theirs.png")  # a link out: loaded, as any file
    (root / "loop.png").symlink_to("loop.png")
    (root / "broken.jpg").symlink_to("gone.jpg")
    (root / "empty.png").write_bytes(b"")
    (root / "random.png").write_bytes(np.random.default_rng(0).bytes(3000))
    (root / "truncated.png").write_bytes(_valid_png_bytes()[:2000])
    Image.new("L", (8, 8)).save(root / "pcx.png", format="PCX")  # a reader no data set needs
    os.mkfifo(root / "fifo.png")
    (root / "up").symlink_to("..")  # a folder link back to an ancestor: not followed
    (root / "self").symlink_to(".")
    odd = os.fsencode(root) + b"/caf\xe9.png"  # not valid UTF-8
    Image.new("RGB", (8, 8), (7, 8, 9)).save(odd.decode("utf-8", "surrogateescape"))
    data = load_folder(root, 8, 3)
    r = data.report
    assert len(data) == 3  # good.png, outside.png and the oddly named one
    reasons = {s["file"]: s["reason"] for s in r["skipped"]}
    assert reasons.pop("loop.png") == "symbolic link loop: it leads back to itself"
    assert reasons.pop("broken.jpg") == "broken symbolic link: its target gone.jpg does not exist"
    assert reasons.pop("empty.png") == "empty file (0 bytes)"
    assert reasons.pop("fifo.png").startswith("not a regular file")
    assert reasons.pop("random.png").startswith("not a readable image")
    assert reasons.pop("truncated.png").startswith("corrupt or truncated")
    assert reasons.pop("pcx.png") == "not a readable image (unknown or corrupt format)"
    assert reasons.pop("up/").startswith("symbolic link to ") and "not followed" in reasons.pop(
        "self/"
    )
    assert reasons == {}
    json.dumps(r)  # names that are not UTF-8 still make a JSON report


def test_cache_key_survives_broken_links(tmp_path, monkeypatch):
    monkeypatch.setattr(folder_mod, "CACHE_MIN_FILES", 1)
    Image.new("L", (8, 8)).save(tmp_path / "a.png")
    (tmp_path / "b.png").symlink_to("missing.png")
    data = load_folder(tmp_path, 8, 1, cache_dir=tmp_path.parent / "cache")
    assert len(data) == 1 and data.report["cache"]["hit"] is False


def test_bad_max_pixels_is_one_line(tmp_path):
    Image.new("L", (8, 8)).save(tmp_path / "a.png")
    with pytest.raises(GanforgeError, match="data.max_pixels=0 must be a positive"):
        load_folder(tmp_path, 8, 1, max_pixels=0)
