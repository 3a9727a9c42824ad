"""Reading image files for the image-to-image readers: fitting to a square, splitting A|B pairs,
reading many files in parallel with the same skip-and-report handling as ``folder.py``.

Every file goes through ``folder.normalize_image`` (EXIF orientation, 16-bit grey scaled to 8 bits,
transparency composited onto ``data.background``, converted to the channels asked for), then:

- ``fit="crop"``: the short side is scaled to the target and the centre square kept (as ``folder.py``);
- ``fit="pad"``: the long side is scaled to the target and the rest filled with the background, so
  nothing is cut off (maps, documents, wide photos).

Resizing is Lanczos (antialiased when shrinking), one Pillow call per image. Files are decoded as
in ``folder.py``: refused over ``data.max_pixels`` by their header, shrunk while decoding, within a
shared memory budget (``decode.py``).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ganforge.data.files.decode import MAX_PIXELS, DecodeBudget, budget_bytes
from ganforge.data.sources.folder import (
    IMAGE_EXTENSIONS,
    MAX_LISTED,
    load_image,
    normalize_image,
    skipped_warning,
)
from ganforge.errors import GanforgeError

FITS = ("crop", "pad")


def fit_square(
    img: Image.Image, size: int, fit: str, background: tuple[int, int, int]
) -> np.ndarray:
    """An "L" or "RGB" image -> uint8 (C, size, size) by centre crop or by padding."""
    w, h = img.size
    if fit == "crop":
        s = min(w, h)
        box = ((w - s) / 2, (h - s) / 2, (w + s) / 2, (h + s) / 2)
        out = img.resize((size, size), Image.Resampling.LANCZOS, box=box)
    else:
        scale = size / max(w, h)
        nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
        fill: Any = background
        if img.mode == "L":
            # Grey canvases take the background's luma, as the images themselves do.
            fill = Image.new("RGB", (1, 1), background).convert("L").getpixel((0, 0))
        out = Image.new(img.mode, (size, size), fill)
        out.paste(
            img.resize((nw, nh), Image.Resampling.LANCZOS), ((size - nw) // 2, (size - nh) // 2)
        )
    arr = np.asarray(out, dtype=np.uint8)
    return arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)  # (C, S, S)


def list_images(folder: Path) -> list[Path]:
    """Image files directly in ``folder`` (not recursive), sorted; hidden files left out.

    Anything named like an image that is not a folder is listed, including broken or looping
    links and FIFOs: the reader then skips each with its reason instead of it vanishing here.
    A folder that exists but cannot be read is a GanforgeError, as a missing domain would be.
    """
    if not folder.is_dir():
        return []
    try:
        entries = list(folder.iterdir())
    except OSError as e:
        raise GanforgeError(
            f"cannot read folder {folder} ({e.strerror}): fix its permissions"
        ) from None
    return sorted(
        p
        for p in entries
        if p.suffix.lower() in IMAGE_EXTENSIONS and not p.name.startswith(".") and not p.is_dir()
    )


def read_images(
    files: list[Path],
    root: Path,
    clean: Callable[[Image.Image], Any],
    draft: int,
    workers: int | None = None,
    *,
    max_pixels: int = MAX_PIXELS,
) -> tuple[list[Any], list[dict[str, str]]]:
    """``clean`` every file in parallel -> (results in file order, None where skipped; skipped list).

    ``draft`` is the side decoding may shrink to (twice of it is kept, see folder.load_image);
    files over ``max_pixels`` (``data.max_pixels``) are skipped with their size as the reason.
    """
    if max_pixels < 1:
        raise GanforgeError(f"data.max_pixels={max_pixels} must be a positive number of pixels")
    workers = workers or min(8, (os.cpu_count() or 1) + 2)
    budget = DecodeBudget(budget_bytes(max_pixels))

    def read(p: Path) -> Any:
        # With ``clean`` given, load_image uses its size argument only to shrink while decoding.
        return load_image(p, draft, 1, (0, 0, 0), clean=clean, max_pixels=max_pixels, budget=budget)

    with warnings.catch_warnings(), ThreadPoolExecutor(max_workers=workers) as pool:
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        results = list(pool.map(read, files))
    skipped = [
        {"file": f.relative_to(root).as_posix(), "reason": r}
        for f, r in zip(files, results)
        if isinstance(r, str)
    ]
    return [None if isinstance(r, str) else r for r in results], skipped


def cleaner(
    size: int, channels: int, background: tuple[int, int, int], fit: str, halves: bool = False
) -> Callable[[Image.Image], Any]:
    """The per-image function: one (C, S, S) array, or (A, B) from a side-by-side A|B image."""

    def clean(img: Image.Image) -> Any:
        img = normalize_image(img, channels, background)
        if not halves:
            return fit_square(img, size, fit, background)
        w, h = img.size
        if w < 2:
            raise ValueError(f"{w} x {h} pixels cannot be split into A|B halves")
        half = w // 2
        a, b = img.crop((0, 0, half, h)), img.crop((half, 0, 2 * half, h))
        return fit_square(a, size, fit, background), fit_square(b, size, fit, background)

    return clean


def report_skipped(skipped: list[dict[str, str]], where: Path) -> dict[str, Any]:
    """The data-report fields for unreadable files (the same keys as folder.py's report)."""
    out: dict[str, Any] = {"n_skipped": len(skipped), "skipped": skipped[:MAX_LISTED]}
    if skipped:
        out["warnings"] = [skipped_warning(skipped, where)]
    return out


def require_images(files: list[Path], folder: Path, what: str) -> None:
    if not folder.is_dir():
        raise GanforgeError(f"{what}: folder {folder} does not exist")
    if not files:
        raise GanforgeError(
            f"{what}: {folder} has no image files ({' '.join(sorted(IMAGE_EXTENSIONS))})"
        )


def stack(arrays: list[Any], folder: Path, skipped: list[dict[str, str]]) -> np.ndarray:
    """Stack the readable (C, S, S) arrays; none readable is an error naming the first reason."""
    good = [a for a in arrays if a is not None]
    if not good:
        first = skipped[0] if skipped else {"file": "?", "reason": "?"}
        raise GanforgeError(
            f"none of the image files in {folder} could be read "
            f"(e.g. {first['file']}: {first['reason']}): check the files"
        )
    return np.stack(good)
