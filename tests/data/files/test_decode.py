"""Bounded-memory decoding: refused from the header, shrunk while decoding, a shared budget.

The memory tests load a folder in a child process and read its peak resident memory
(``ru_maxrss``), since the parent's peak already holds whatever earlier tests allocated.
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import ExifTags, Image

from ganforge.data.files import decode
from ganforge.data.sources.folder import clean_image, load_folder

# Growth of the child's peak memory while it loads the folder, over its peak after the imports.
# Refusing the 88 MP bomb from its header costs nothing; the 36 MP image under the limit is
# decoded at 4 bytes a pixel (144 MB) and shrunk before it is converted or composited. The code
# before this bound composited at full size: 4.9 GB for the bomb alone.
LOAD_GROWTH_BOUND_MB = 350


def png_bomb(path: Path, w: int, h: int, mode: str = "RGBA") -> None:
    """A PNG of zeros, w x h, streamed through zlib so that writing it stays small in memory."""
    color_type, bands = {"L": (0, 1), "RGBA": (6, 4)}[mode]

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    comp = zlib.compressobj(9)
    row = bytes(1 + w * bands)  # filter byte 0, then the pixels
    idat = [comp.compress(row * 64) for _ in range(h // 64)]
    idat += [comp.compress(row * (h % 64)), comp.flush()]
    ihdr = struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", b"".join(idat))
        + chunk(b"IEND", b"")
    )


_CHILD = """
import json, resource, sys
from ganforge.data.sources.folder import load_folder
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
data = load_folder(sys.argv[1], 32, 3)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"base_kb": base, "peak_kb": peak, "n": len(data), "report": data.report}))
"""


def test_bomb_folder_is_refused_from_the_header_in_bounded_memory(tmp_path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    png_bomb(folder / "bomb.png", 9400, 9400)  # 88.4 MP: under Pillow's 89.5 MP limit
    png_bomb(folder / "big.png", 6000, 6000)  # 36 MP: under data.max_pixels, loaded
    Image.new("RGB", (40, 30), (10, 200, 30)).save(folder / "small.png")
    assert (folder / "bomb.png").stat().st_size < 500_000  # small on disk, 353 MB decoded
    started = time.monotonic()
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert child.returncode == 0, child.stderr[-2000:]
    out = json.loads(child.stdout.strip().splitlines()[-1])
    growth_mb = (out["peak_kb"] - out["base_kb"]) / 1024
    assert growth_mb < LOAD_GROWTH_BOUND_MB, (growth_mb, out["peak_kb"] / 1024)
    assert out["n"] == 2  # big.png and small.png
    skipped = out["report"]["skipped"]
    assert [s["file"] for s in skipped] == ["bomb.png"]
    assert skipped[0]["reason"].startswith("9400x9400 = 88.4 MP is over the 64 MP limit")
    assert "data.max_pixels" in skipped[0]["reason"]
    assert time.monotonic() - started < 60


def test_large_jpeg_is_decoded_small_and_loads_right(tmp_path, monkeypatch):
    a = np.zeros((4000, 6000, 3), np.uint8)
    a[:, :3000] = (200, 30, 30)  # left half red, right half blue
    a[:, 3000:] = (30, 30, 200)
    Image.fromarray(a).save(tmp_path / "photo.jpg", quality=90)
    del a
    seen = []
    real_shrink = decode.shrink

    def spy(img, min_side):
        seen.append(img.size)
        return real_shrink(img, min_side)

    monkeypatch.setattr(decode, "shrink", spy)
    x = load_folder(tmp_path, resolution=16, channels=3).images[0].numpy().astype(int)
    assert seen == [(750, 500)]  # libjpeg decoded at 1/8 scale: 0.4 MP, not 24 MP
    assert x.shape == (3, 16, 16)
    # The centre square (x 1000..5000) is red on its left half and blue on its right.
    assert np.abs(x[:, :, :6].mean((1, 2)) - (200, 30, 30)).max() < 4
    assert np.abs(x[:, :, 10:].mean((1, 2)) - (30, 30, 200)).max() < 4


def test_limit_is_a_parameter_and_is_reported(tmp_path):
    Image.new("L", (30, 20), 9).save(tmp_path / "a.png")
    Image.new("L", (10, 10), 9).save(tmp_path / "b.png")
    data = load_folder(tmp_path, 8, 1, max_pixels=500)
    assert len(data) == 1 and data.report["max_pixels"] == 500
    assert data.report["skipped"] == [
        {
            "file": "a.png",
            "reason": "30x20 = 0.0006 MP is over the 0.0005 MP limit (data.max_pixels): "
            "shrink the file or raise the limit",
        }
    ]
    assert decode.too_large(9400, 9400, 64_000_000).startswith(
        "9400x9400 = 88.4 MP is over the 64 MP limit (data.max_pixels)"
    )


# --------------------------------------------------------------------------- shrinking


def _halves(mode: str, size: tuple[int, int]) -> tuple[Image.Image, str, tuple, tuple]:
    """An image of ``mode`` with two flat halves -> (image, extension, left RGB, right RGB) as
    ganforge should show them on a white background."""
    w, h = size
    left, right = np.s_[:, : w // 2], np.s_[:, w // 2 :]
    if mode in ("I;16", "I"):
        a = np.zeros((h, w), np.uint16 if mode == "I;16" else np.int32)
        a[left], a[right] = 32896, 65535  # 128 * 257 and the top of the 16-bit range
        return Image.fromarray(a), ".png" if mode == "I;16" else ".tif", (128,) * 3, (255,) * 3
    if mode in ("F", "F>1"):
        a = np.zeros((h, w), np.float32)
        a[left], a[right] = (0.25, 1.0) if mode == "F" else (10.0, 300.0)
        return Image.fromarray(a), ".tif", (64,) * 3 if mode == "F" else (10,) * 3, (255,) * 3
    if mode == "P":
        img = Image.new("P", size, 0)
        img.putpalette([0, 255, 0, 255, 0, 0] + [0] * 762)  # index 0 green, transparent
        img.paste(1, (w // 2, 0, w, h))
        img.info["transparency"] = 0
        return img, ".png", (255,) * 3, (255, 0, 0)
    if mode == "CMYK":
        img = Image.new("CMYK", size, (0, 0, 0, 0))
        img.paste((0, 255, 255, 0), (w // 2, 0, w, h))
        return img, ".tif", (255,) * 3, (255, 0, 0)
    if mode == "LA":
        a = np.zeros((h, w, 2), np.uint8)
        a[..., 0] = 40
        a[right + (1,)] = 255  # left transparent, right opaque dark grey
        return Image.fromarray(a, "LA"), ".png", (255,) * 3, (40,) * 3
    if mode == "1":
        a = np.zeros((h, w), bool)
        a[right] = True
        return Image.fromarray(a), ".png", (0,) * 3, (255,) * 3
    assert mode == "RGBA"
    a = np.zeros((h, w, 4), np.uint8)
    a[left] = (200, 100, 0, 128)
    a[right] = (0, 0, 255, 255)
    half = tuple(round((c * 128 + 255 * 127) / 255) for c in (200, 100, 0))
    return Image.fromarray(a, "RGBA"), ".png", half, (0, 0, 255)


MODES = ["I;16", "I", "F", "F>1", "P", "CMYK", "LA", "1", "RGBA"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("size", [(24, 12), (512, 256)], ids=["as-is", "shrunk"])
def test_every_mode_loads_right_whether_shrunk_or_not(tmp_path, mode, size):
    img, ext, left, right = _halves(mode, size)
    img.save(tmp_path / f"x{ext}", **({"transparency": 0} if mode == "P" else {}))
    with Image.open(tmp_path / f"x{ext}") as back:
        stored = back.mode
    shrinks = decode.reduce_factor(size, 2 * 8) >= 2
    assert shrinks == (size[0] > 24)
    data = load_folder(tmp_path, resolution=8, channels=3)
    x = data.images[0].numpy().astype(int)  # the centre 256 x 256 (or 12 x 12) square
    got_left, got_right = x[:, 4, 0], x[:, 4, 7]  # away from the seam: Lanczos rings across it
    assert np.abs(got_left - left).max() <= 2, (stored, got_left, left)
    assert np.abs(got_right - right).max() <= 2, (stored, got_right, right)


def test_shrink_matches_the_full_size_cleaning(tmp_path):
    # A smooth picture: box-averaging by a whole factor, then Lanczos, is what Lanczos alone gives.
    yy, xx = np.mgrid[0:600, 0:900].astype(np.float64)
    a = np.stack([xx / 900 * 255, yy / 600 * 255, (xx + yy) / 1500 * 255], -1).astype(np.uint8)
    Image.fromarray(a).save(tmp_path / "smooth.png")
    with Image.open(tmp_path / "smooth.png") as img:
        img.load()
        reference = clean_image(img, 32, 3, (255, 255, 255)).astype(int)
        small = decode.shrink(img, 64)
    assert small.size == (100, 67)  # factor 9: the short side stays >= 64
    got = load_folder(tmp_path, resolution=32, channels=3).images[0].numpy().astype(int)
    assert np.abs(got - reference).max() <= 3


def test_shrink_applies_the_exif_orientation(tmp_path):
    a = np.zeros((100, 200, 3), np.uint8)
    a[:, :100] = (255, 0, 0)  # stored: red left, blue right
    a[:, 100:] = (0, 0, 255)
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # shown rotated 90 degrees clockwise: red on top
    Image.fromarray(a).save(tmp_path / "phone.png", exif=exif.tobytes())
    with Image.open(tmp_path / "phone.png") as img:
        img.load()
        small = decode.shrink(img, 16)  # factor 6
        assert small.size == (17, 34) and small.getpixel((8, 2)) == (255, 0, 0)
    x = load_folder(tmp_path, resolution=8, channels=3).images[0].numpy().astype(int)
    assert np.abs(x[:, 0, 4] - (255, 0, 0)).max() <= 2  # red on top, as the phone showed it
    assert np.abs(x[:, 7, 4] - (0, 0, 255)).max() <= 2


def test_deep_grey_scaling_works_in_strips(monkeypatch):
    monkeypatch.setattr(decode, "STRIP_PIXELS", 50)  # many strips on a small image
    a = np.linspace(0, 65535, 40 * 30).reshape(30, 40).astype(np.uint16)
    got = np.asarray(decode.to_8bit(Image.fromarray(a)))
    np.testing.assert_array_equal(got, (a / 257.0).round().astype(np.uint8))
    f = np.zeros((30, 40), np.float32)
    f[-1, -1] = 2.0  # one value above 1 in the last strip switches the whole image to 0..255
    f[0, 0] = 0.5
    got = np.asarray(decode.to_8bit(Image.fromarray(f)))
    assert got[0, 0] == 0 or got[0, 0] == 1  # 0.5 on the 0..255 scale, not 128
    assert got[-1, -1] == 2


# --------------------------------------------------------------------------- budget


def test_budget_bounds_the_bytes_in_flight():
    budget = decode.DecodeBudget(100)
    in_flight, peak, lock = [0], [0], threading.Lock()

    def job(cost):
        with budget.hold(cost):
            with lock:
                in_flight[0] += min(cost, 100)
                peak[0] = max(peak[0], in_flight[0])
            time.sleep(0.01)
            with lock:
                in_flight[0] -= min(cost, 100)

    threads = [threading.Thread(target=job, args=(c,)) for c in [60, 60, 30, 500, 10, 10, 90]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert not any(t.is_alive() for t in threads)  # a cost over the total still runs, alone
    assert peak[0] <= 100


def test_budget_is_one_image_at_the_limit():
    assert decode.budget_bytes(64_000_000) == 64_000_000 * 20
    with Image.open(io.BytesIO(_png_bytes("RGBA", (4096, 2048)))) as img:
        # Shrunk by 32: the decoded image, plus cleaning on the small one.
        assert decode.decode_cost(img, 64, img.size) == 4096 * 2048 * 4 + 128 * 64 * 16
    with Image.open(io.BytesIO(_png_bytes("L", (100, 50)))) as img:
        assert decode.decode_cost(img, 64, img.size) == 100 * 50 * (1 + 16)  # not shrunk


def _png_bytes(mode: str, size: tuple[int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size).save(buf, "PNG")
    return buf.getvalue()


# --------------------------------------------------------------------------- opening


def test_open_file_reasons(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "loop.png").symlink_to("loop.png")
    (tmp_path / "broken.png").symlink_to("nowhere.png")
    (tmp_path / "dir.png").mkdir()
    os.mkfifo(tmp_path / "fifo.png")  # opening it plainly would block until a writer comes
    reasons = {}
    for name in ("empty.png", "loop.png", "broken.png", "dir.png", "fifo.png"):
        with pytest.raises(decode.UnusableFile) as e:
            decode.open_file(tmp_path / name)
        reasons[name] = str(e.value)
    assert reasons == {
        "empty.png": "empty file (0 bytes)",
        "loop.png": "symbolic link loop: it leads back to itself",
        "broken.png": "broken symbolic link: its target nowhere.png does not exist",
        "dir.png": "not a regular file (a folder, FIFO, socket or device)",
        "fifo.png": "not a regular file (a folder, FIFO, socket or device)",
    }
