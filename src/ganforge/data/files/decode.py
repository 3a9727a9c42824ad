"""Bounded-memory decoding of one untrusted image file: what it claims decides before its pixels do.

An image file states its size in a header and the decoder believes it: a 336 KB PNG can claim
9,400 x 9,400 RGBA pixels (a zlib "bomb" of zeros, still under Pillow's own 89.5-megapixel limit),
and converting and compositing that at full size took 5 GB per file. So, per file:

1. Only the header is read first (``Image.open`` is lazy). More than ``max_pixels`` is refused with
   a reason for the data report, before a pixel is decoded.
2. Decoding is as small as the format allows. JPEG decodes at 1/2, 1/4 or 1/8 scale (``draft``);
   other formats are decoded whole and at once shrunk by a whole factor with ``Image.reduce`` (a
   box filter), in strips, keeping at least ``min_side`` pixels on the short side. Mode
   conversions, deep-grey scaling and alpha compositing come after, on the small image.
3. The decodes running at once share a ``DecodeBudget`` of bytes: one file at the limit decodes
   alone, small files many at a time. The peak memory of reading a folder is then set by
   ``max_pixels`` and not by what any one file claims.

Reasons a file cannot be used (missing link target, link loop, permissions, not a regular file,
empty, too large, corrupt) come back as one-line strings; nothing here raises on a bad file.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import math
import os
import platform
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from PIL import ExifTags, Image

MAX_PIXELS = 64_000_000
"""Default largest image, in pixels (width x height from the header): ``data.max_pixels``."""
DECODED_BYTES_PER_PIXEL = 4
"""Pillow keeps every mode but 1, L, P (one byte) and I;16 (two) in four bytes a pixel."""
WORK_BYTES_PER_PIXEL = 16
"""Upper bound on what cleaning holds per pixel of the image it cleans: an oriented copy, an RGBA
conversion and the composited RGB result (4 bytes each) beside the decoded image."""
PROGRESSIVE_JPEG_BYTES_PER_PIXEL = 6
"""libjpeg keeps a progressive JPEG's DCT coefficients at full size (2 bytes x 3 components),
whatever the draft scale."""
STRIP_PIXELS = 1 << 20
"""Pixels per strip when shrinking or scaling: the working copies stay a few MB."""

FORMATS = ("PNG", "JPEG", "BMP", "DIB", "GIF", "WEBP", "TIFF", "PPM", "TGA", "ICO")
"""Pillow readers tried on a file: those of ``folder.IMAGE_EXTENSIONS``. Pillow identifies a file
by its content, not its name; without this list a ".png" holding EPS would run Ghostscript, and
each of Pillow's ~40 other readers would be attack surface no data set needs."""

DEEP_GREY = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")
_WITH_ALPHA = ("RGBA", "LA", "RGBa", "La")
_REDUCIBLE = ("L", "RGB", "RGBX", "CMYK", "YCbCr", "LAB", "HSV", *_WITH_ALPHA)
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class UnusableFile(Exception):
    """A file that cannot be decoded; ``str(e)`` is the reason shown in the data report."""


def budget_bytes(max_pixels: int) -> int:
    """Bytes one image at the ``max_pixels`` limit may hold while it is decoded and cleaned."""
    return max_pixels * (DECODED_BYTES_PER_PIXEL + WORK_BYTES_PER_PIXEL)


class DecodeBudget:
    """A weighted semaphore over bytes: decodes wait until their estimated cost fits.

    A cost above the total is cut to the total, so an image alone can always proceed; the total
    therefore bounds the sum of the images in flight (``budget_bytes(max_pixels)`` by default:
    one image at the limit decodes alone, and a folder of small images loses no parallelism).
    """

    def __init__(self, total: int) -> None:
        self.total = max(1, total)
        self._used = 0
        self._cond = threading.Condition()

    @contextlib.contextmanager
    def hold(self, cost: int) -> Iterator[None]:
        cost = min(max(0, cost), self.total)
        with self._cond:
            self._cond.wait_for(lambda: self._used + cost <= self.total)
            self._used += cost
        try:
            yield
        finally:
            with self._cond:
                self._used -= cost
                self._cond.notify_all()


def megapixels(n: float) -> str:
    """Pixels as megapixels, three significant digits: 88.4 MP, 64 MP, 0.0006 MP."""
    return f"{n / 1e6:.3g} MP"


def too_large(w: int, h: int, max_pixels: int) -> str:
    """The report's reason for a refused file, e.g. '9400x9400 = 88.4 MP is over the 64 MP ...'."""
    return (
        f"{w}x{h} = {megapixels(w * h)} is over the {megapixels(max_pixels)} limit "
        "(data.max_pixels): shrink the file or raise the limit"
    )


# --------------------------------------------------------------------------- opening


def open_file(path: Path) -> BinaryIO:
    """Open ``path`` for reading if it is a non-empty regular file; else UnusableFile(reason).

    O_NONBLOCK makes opening a FIFO named like an image return at once instead of hanging the
    loader until a writer appears; on regular files the flag does nothing.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise UnusableFile("symbolic link loop: it leads back to itself") from None
        if e.errno == errno.ENOENT and os.path.islink(path):
            raise UnusableFile(
                f"broken symbolic link: its target {os.readlink(path)} does not exist"
            ) from None
        if e.errno in (errno.EACCES, errno.EPERM):
            raise UnusableFile(f"cannot be read ({e.strerror}): fix its permissions") from None
        raise UnusableFile(f"cannot be opened ({e.strerror or e})") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_size == 0:
        os.close(fd)
        if st.st_size == 0 and stat.S_ISREG(st.st_mode):
            raise UnusableFile("empty file (0 bytes)")
        raise UnusableFile("not a regular file (a folder, FIFO, socket or device)")
    return os.fdopen(fd, "rb")


# --------------------------------------------------------------------------- pixels


def strips(width: int, height: int, multiple: int = 1) -> Iterator[tuple[int, int]]:
    """Row ranges (y0, y1) of about STRIP_PIXELS each, every height a multiple of ``multiple``."""
    rows = multiple * max(1, STRIP_PIXELS // max(1, width * multiple))
    for y in range(0, height, rows):
        yield y, min(height, y + rows)


def float_peak(img: Image.Image) -> float:
    """The largest finite-or-inf value of an "F" image (NaN ignored, 0 for none), strip by strip."""
    w, h = img.size
    return max(
        (float(np.nanmax(np.asarray(img.crop((0, a, w, b))), initial=0)) for a, b in strips(w, h)),
        default=0.0,
    )


def _scale_8bit(a: np.ndarray, mode: str, peak: float) -> np.ndarray:
    if mode == "F":
        # Float images have no fixed range: [0, 1] is the common convention, else assume 0..255.
        a = a.astype(np.float64)
        a = (np.clip(a, 0, 1) * 255 if peak <= 1.0 else np.clip(a, 0, 255)).round()
        return np.nan_to_num(a).astype(np.uint8)
    # 16-bit PNG/TIFF arrive as I;16 or I. Dividing by 257 maps 0..65535 onto 0..255 exactly at
    # both ends (65535 / 257 = 255); taking the high byte would be off by up to one.
    return (np.clip(a.astype(np.float64), 0, 65535) / 257.0).round().astype(np.uint8)


def to_8bit(img: Image.Image, peak: float | None = None) -> Image.Image:
    """Grey images deeper than 8 bits -> "L", scaled by the range of their type, strip by strip.

    ``peak`` is the whole image's maximum for "F" images cut into pieces (it picks the range).
    """
    w, h = img.size
    if img.mode == "F" and peak is None:
        peak = float_peak(img)
    out = Image.new("L", img.size)
    for a, b in strips(w, h):
        strip = np.asarray(img.crop((0, a, w, b)))
        out.paste(Image.fromarray(_scale_8bit(strip, img.mode, peak or 0.0), mode="L"), (0, a))
    return out


def _reduce_mode(img: Image.Image) -> str:
    """The mode ``Image.reduce`` can average ``img`` in without changing what it shows."""
    if img.mode in DEEP_GREY:
        return "L"
    if img.mode in _WITH_ALPHA:
        return img.mode  # Pillow averages these premultiplied, so edges do not darken
    if img.mode == "PA" or "transparency" in img.info:
        return "RGBA"  # palette indices and colour keys cannot be averaged: resolve them first
    if img.mode == "1":
        return "L"
    return img.mode if img.mode in _REDUCIBLE else "RGB"


def reduce_factor(size: tuple[int, int], min_side: int) -> int:
    """The whole factor that keeps at least ``min_side`` pixels on the short side (1: none)."""
    return max(1, min(size) // max(1, min_side))


def shrink(img: Image.Image, min_side: int) -> Image.Image:
    """``img`` (loaded) box-averaged by a whole factor down to a short side >= ``min_side``.

    Returns ``img`` itself when no factor of 2 or more fits. Otherwise the result is a new image
    without metadata: palette, colour key and deep grey are resolved strip by strip, and the EXIF
    orientation is applied here, as the small image no longer carries it.
    """
    f = reduce_factor(img.size, min_side)
    if f < 2:
        return img
    w, h = img.size
    mode = _reduce_mode(img)
    peak = float_peak(img) if img.mode == "F" else None
    orientation = img.getexif().get(ExifTags.Base.Orientation, 1)
    out = Image.new(mode, (math.ceil(w / f), math.ceil(h / f)))
    for a, b in strips(w, h, multiple=f):
        strip = img.crop((0, a, w, b))  # a copy of a few MB; the full image is never converted
        if img.mode in DEEP_GREY:
            strip = to_8bit(strip, peak)
        elif strip.mode != mode:
            strip = strip.convert(mode)
        out.paste(strip.reduce(f), (0, a // f))
    method = _TRANSPOSE.get(orientation)
    return out.transpose(method) if method is not None else out


def decode_cost(img: Image.Image, min_side: int, header_size: tuple[int, int]) -> int:
    """Bytes decoding and cleaning ``img`` (opened, drafted, not loaded) may hold at the peak."""
    w, h = img.size
    per_pixel = 1 if img.mode in ("1", "L", "P") else 2 if img.mode.startswith("I;16") else 4
    f = reduce_factor(img.size, min_side)
    kept = w * h if f < 2 else math.ceil(w / f) * math.ceil(h / f)
    cost = w * h * per_pixel + kept * WORK_BYTES_PER_PIXEL
    if img.format == "JPEG" and ("progressive" in img.info or "progression" in img.info):
        cost += header_size[0] * header_size[1] * PROGRESSIVE_JPEG_BYTES_PER_PIXEL
    return cost


TRIM_AFTER_BYTES = 64 << 20
"""Decodes costing more than this hand their freed memory back to the OS (``malloc_trim``)."""
_NO_BUDGET = DecodeBudget(1 << 62)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None


def release_freed_memory() -> None:
    """Give the C heap's free pages back to the OS (glibc only; elsewhere nothing happens).

    Why: glibc gives each thread its own heap arena and keeps what was freed there. Pillow
    allocates an image in 16 MB blocks, which (once glibc's adaptive mmap threshold has risen, or
    with ``runtime.keep_cpu_memory``) come from those arenas; every worker thread would then keep
    the peak of the largest image it decoded, and the process peak would grow with the number of
    threads instead of staying at one budget. Measured: 6 images of 62 MP at full size on 4
    threads peaked at 2.4 GB without this, 1.1 GB with it.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def decode(
    path: Path,
    min_side: int,
    use: Callable[[Image.Image], Any],
    *,
    max_pixels: int = MAX_PIXELS,
    budget: DecodeBudget | None = None,
) -> Any:
    """Decode ``path`` small enough for a short side of ``min_side`` and return ``use(image)``,
    or the reason (a str) it cannot be used.

    ``use`` runs inside the budget on the shrunk image (its errors are reported like a corrupt
    file's). ``min_side`` larger than the image keeps the full resolution.
    """
    try:
        with open_file(path) as f, Image.open(f, formats=FORMATS) as img:
            w, h = img.size
            if w * h > max_pixels:
                return too_large(w, h, max_pixels)
            if img.format == "JPEG":
                # libjpeg decodes at 1/2, 1/4 or 1/8 scale while leaving both sides >= min_side.
                img.draft(img.mode, (min_side, min_side))
            cost = decode_cost(img, min_side, (w, h))
            with (budget or _NO_BUDGET).hold(cost):
                try:
                    img.load()  # decode now, so truncation is caught here
                    if img.width * img.height > max_pixels:
                        # An ICO can hold a frame larger than its directory says; Pillow's own
                        # bomb check (89.5 MP) bounded that decode, this one refuses the result.
                        return too_large(img.width, img.height, max_pixels)
                    small = shrink(img, min_side)
                    if small is not img:
                        img.close()  # frees the full-size pixels before cleaning starts
                    return use(small)
                finally:
                    if cost > TRIM_AFTER_BYTES:
                        img.close()
                        release_freed_memory()  # before the budget lets the next large one in
    except UnusableFile as e:
        return str(e)
    except Image.DecompressionBombError as e:
        return f"too large for Pillow ({e}): shrink the file"
    except Image.UnidentifiedImageError:
        return "not a readable image (unknown or corrupt format)"
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        # Pillow reports truncation as OSError("image file is truncated") and bad headers as
        # SyntaxError or ValueError depending on the plugin.
        return f"corrupt or truncated ({type(e).__name__}: {e})"
    except MemoryError:
        return "too large to decode (out of memory): shrink the file or lower data.max_pixels"
    except Exception as e:
        # Malformed metadata (EXIF, ICC, palettes) can raise almost anything inside a plugin;
        # one odd file must be reported and skipped, not stop the whole data set.
        return f"unreadable ({type(e).__name__}: {e})"
