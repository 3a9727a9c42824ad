"""Any folder of images -> one cleaned uint8 tensor, with a report of what was skipped and why.

Layout: the folder is searched recursively. If it holds no image directly but has sub-folders
with images, each such sub-folder is a class (sorted names -> labels 0, 1, ...), as in
torchvision's ImageFolder; otherwise everything is one class.

Cleaning, per image (Pillow): EXIF orientation applied; transparency (RGBA, LA, PA, palette or
grey/RGB with a transparent colour key) composited onto ``data.background``; 16-bit and 32-bit
grey scaled to 8 bits by value range, not truncated; converted to grey (ITU-R 601 luma) or RGB;
the short side resized to ``data.resolution`` with Lanczos (antialiased when shrinking) and the
centre square kept.

Files are untrusted input (``decode.py``): an image over ``data.max_pixels`` by its header is
refused before decoding, a large one is shrunk while decoding, and the decodes in flight share a
memory budget. Files that cannot be used (too large, zero bytes, truncated, corrupt, not an image,
broken or looping links, FIFOs, no permission) and sub-folders that cannot be read are skipped and
listed in the report; only a folder with nothing usable is an error.

Decoding runs in a thread pool (Pillow releases the GIL while decoding and resampling) and the
results land in one preallocated (N, C, R, R) array. Folders of ``CACHE_MIN_FILES`` images or more
are cached in the cache folder as ``.npz`` (no pickle), keyed by the file list, sizes, mtimes and
the cleaning options, and written atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import ExifTags, Image, ImageColor, ImageOps
from torch import Tensor

from ganforge.atomic import publish
from ganforge.config import DataConfig
from ganforge.data.dataset import ImageData
from ganforge.data.exclude import Exclusion, note_exclusion
from ganforge.data.files.decode import (
    DEEP_GREY,
    MAX_PIXELS,
    DecodeBudget,
    budget_bytes,
    decode,
    strips,
    to_8bit,
)
from ganforge.data.files.download import cache_dir
from ganforge.data.schemes import register_scheme
from ganforge.data.transforms import Size, as_hw
from ganforge.errors import GanforgeError

IMAGE_EXTENSIONS = frozenset(
    {
        ".png",
        ".jpg",
        ".jpeg",
        ".bmp",
        ".gif",
        ".webp",
        ".tif",
        ".tiff",
        ".ppm",
        ".pgm",
        ".pbm",
        ".pnm",
        ".tga",
        ".ico",
    }
)
CACHE_MIN_FILES = 2000
"""Folders with at least this many image files get their cleaned tensor cached."""
CACHE_VERSION = 3
"""Bump when the cleaning changes, so old caches are not reused."""
MAX_LISTED = 1000
"""Longest skipped/ignored list kept in the report (the counts stay exact)."""


# --------------------------------------------------------------------------- one image


def parse_background(colour: str) -> tuple[int, int, int]:
    """A Pillow colour name or #rrggbb -> (r, g, b); a bad value is a GanforgeError."""
    try:
        rgb = ImageColor.getrgb(colour)
    except ValueError:
        raise GanforgeError(
            f"data.background={colour!r} is not a colour: use a name such as white, or #rrggbb"
        ) from None
    return rgb[0], rgb[1], rgb[2]


def _orient(img: Image.Image) -> Image.Image:
    """Apply the EXIF orientation, if any (``exif_transpose`` would copy an upright image too)."""
    if img.getexif().get(ExifTags.Base.Orientation, 1) in (1, None):
        return img
    return ImageOps.exif_transpose(img)


def _composite(img: Image.Image, background: tuple[int, int, int]) -> Image.Image:
    """RGBA (straight alpha) -> RGB over ``background``: out = (c * a + bg * (255 - a)) / 255.

    Strip by strip: the integer blend needs uint32 temporaries, 16 bytes a pixel at full size.
    """
    w, h = img.size
    bg = np.asarray(background, dtype=np.uint32)
    out = Image.new("RGB", img.size)
    for top, bottom in strips(w, h):
        a = np.asarray(img.crop((0, top, w, bottom)), dtype=np.uint32)  # (rows, W, 4)
        alpha = a[..., 3:4]
        blend = (a[..., :3] * alpha + bg * (255 - alpha) + 127) // 255  # rounded integer blend
        out.paste(Image.fromarray(blend.astype(np.uint8), mode="RGB"), (0, top))
    return out


def normalize_image(
    img: Image.Image, channels: int, background: tuple[int, int, int]
) -> Image.Image:
    """A decoded Pillow image -> "L", "RGB" or "RGBA" (``channels`` 1, 3, 4) at its own size: EXIF
    orientation applied, deeper than 8-bit grey scaled to 8 bits; transparency composited onto
    ``background``, or kept as straight alpha for 4 channels (opaque images get alpha 255)."""
    img = _orient(img)  # phone photos store rotation as a tag
    if img.mode in DEEP_GREY:
        img = to_8bit(img)
    has_alpha = img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info
    if channels == 4:
        if img.mode not in ("RGB", "RGBA", "L", "LA", "P", "PA", "RGBa", "La", "1"):
            img = img.convert("RGB")  # CMYK, YCbCr, ...: through RGB first
        # convert("RGBA") resolves palettes, colour keys and premultiplied alpha to straight alpha.
        return img if img.mode == "RGBA" else img.convert("RGBA")
    if has_alpha:
        # convert("RGBA") resolves palettes, colour keys and premultiplied alpha into straight
        # alpha; compositing then happens in RGB so a coloured background is honoured.
        img = _composite(img if img.mode == "RGBA" else img.convert("RGBA"), background)
    target = "L" if channels == 1 else "RGB"
    if target == "L" and img.mode not in ("L", "1", "P", "RGB"):
        img = img.convert("RGB")  # CMYK, YCbCr, LAB, HSV: through RGB, where luma is defined
    if img.mode != target:
        img = img.convert(target)  # RGB -> L is ITU-R 601 luma, as in transforms.rgb_to_gray
    return img


def clean_image(
    img: Image.Image, resolution: Size, channels: int, background: tuple[int, int, int]
) -> np.ndarray:
    """A decoded Pillow image -> uint8 (channels, height, width) of ``resolution``."""
    img = normalize_image(img, channels, background)
    th, tw = as_hw(resolution)
    w, h = img.size
    # The centred box of the target's aspect, resized straight to (tw, th): the same as scaling to
    # cover the target and cropping the centre, but without rounding the long side first.
    # Pillow's filters widen with the scale factor, so shrinking is antialiased. Colour is
    # resampled with its alpha premultiplied (Pillow does that for RGBA), so fully transparent
    # pixels do not bleed their hidden colour into the edges.
    scale = min(w / tw, h / th)
    bw, bh = tw * scale, th * scale
    box = ((w - bw) / 2, (h - bh) / 2, (w + bw) / 2, (h + bh) / 2)
    img = img.resize((tw, th), Image.Resampling.LANCZOS, box=box)
    arr = np.asarray(img, dtype=np.uint8)
    return arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)  # (C, H, W)


def load_image(
    path: Path,
    resolution: Size,
    channels: int,
    background: tuple[int, int, int],
    clean: Callable[[Image.Image], Any] | None = None,
    *,
    max_pixels: int = MAX_PIXELS,
    budget: DecodeBudget | None = None,
) -> Any:
    """Decode and clean one file -> uint8 (C, H, W), or the reason (a str) it cannot be used.

    ``clean(img)`` replaces the default cleaning (``clean_image`` at ``resolution``): the
    image-to-image readers split, pad or keep the size, with the same skip-and-report handling.
    Either way the image may arrive shrunk by a whole factor, to no less than twice
    ``resolution`` on its short side (a huge ``resolution`` keeps the full size). Files over
    ``max_pixels`` are refused from their header; see ``decode.decode``.
    """

    def default(img: Image.Image) -> np.ndarray:
        return clean_image(img, resolution, channels, background)

    # Twice the target, as for the JPEG draft: the final Lanczos step still has detail to filter.
    side = max(as_hw(resolution))
    return decode(path, 2 * side, clean or default, max_pixels=max_pixels, budget=budget)


# --------------------------------------------------------------------------- the folder


def _is_hidden(rel: Path) -> bool:
    return any(part.startswith(".") for part in rel.parts)


@dataclass
class FolderScan:
    """What a recursive listing found, and the sub-folders it could not (or would not) enter."""

    images: list[Path]
    others: list[str]
    classes: list[str]
    folders_skipped: list[dict[str, str]] = field(default_factory=list)


def _encloses(outer: str, inner: str) -> bool:
    return inner == outer or inner.startswith(outer.rstrip(os.sep) + os.sep)


def walk_folder(root: Path) -> FolderScan:
    """Recursive listing of ``root``; unreadable sub-folders are listed with their reason.

    Symlinked folders are followed (a common way to assemble a data set), each real folder once,
    except a link to a folder that holds ``root`` (``..``, ``/``): that would walk the data set
    again, or the whole disk. A folder that cannot be read (permissions) is reported rather than
    silently missing: its images, and its class if it was one, are absent. It does not become an
    empty class: an unreadable ``lost+found`` is not a class of the data set.
    """
    images: list[Path] = []
    others: list[str] = []
    problems: list[dict[str, str]] = []
    real_root = os.path.realpath(root)
    seen: set[str] = set()

    def rel_dir(path: str) -> str:
        return Path(path).relative_to(root).as_posix() + "/"

    def unreadable(e: OSError) -> None:
        if os.path.realpath(e.filename) == real_root:
            raise GanforgeError(
                f"cannot read image folder {root} ({e.strerror}): fix its permissions"
            )
        rel = rel_dir(e.filename)
        if _is_hidden(Path(rel)):
            others.append(rel)
        else:
            why = f"folder cannot be read ({e.strerror}): its images were not loaded"
            problems.append({"file": rel, "reason": why})

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen:
            dirnames.clear()
            continue
        seen.add(real)
        dirnames.sort()
        for d in list(dirnames):
            link = os.path.join(dirpath, d)
            if os.path.islink(link) and _encloses(target := os.path.realpath(link), real_root):
                dirnames.remove(d)
                why = f"symbolic link to {target}, a folder holding this data set: not followed"
                problems.append({"file": rel_dir(link), "reason": why})
        for name in sorted(filenames):
            p = Path(dirpath) / name
            rel = p.relative_to(root)
            # macOS "._x.jpg" resource forks and .DS_Store look like images by name but are not.
            if Path(name).suffix.lower() in IMAGE_EXTENSIONS and not _is_hidden(rel):
                images.append(p)
            else:
                others.append(rel.as_posix())
    top_level_images = any(p.parent == root for p in images)
    classes = [] if top_level_images else sorted({p.relative_to(root).parts[0] for p in images})
    return FolderScan(sorted(images), others, classes, problems)


def scan_folder(root: Path) -> tuple[list[Path], list[str], list[str]]:
    """Recursive listing -> (image files sorted, other files, class folder names or [])."""
    scan = walk_folder(root)
    return scan.images, scan.others, scan.classes


def _cache_key(files: list[Path], options: dict[str, Any]) -> str:
    h = hashlib.sha256(json.dumps({"v": CACHE_VERSION, **options}, sort_keys=True).encode())
    for p in files:
        try:
            st = p.stat()
            stamp = f"{st.st_size}\0{st.st_mtime_ns}"
        except OSError as e:  # a broken link or a vanished file is part of the key, not a crash
            stamp = f"error {e.errno}"
        # fsencode: file names need not be valid UTF-8
        h.update(os.fsencode(p) + f"\0{stamp}\n".encode())
    return h.hexdigest()[:32]


def _read_cache(path: Path) -> ImageData | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            images, labels = z["images"], z["labels"]
            meta = json.loads(str(z["meta"]))
            tensors = {k[6:]: torch.from_numpy(z[k]) for k in z.files if k.startswith("field_")}
        ids = meta["ids"]
        if not isinstance(ids, list) or len(ids) != len(images):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None  # a damaged cache is rebuilt, never trusted
    report = meta["report"]
    report["cache"] = {"path": str(path), "hit": True}
    return ImageData(
        torch.from_numpy(images),
        torch.from_numpy(labels),
        meta["num_classes"],
        meta["name"],
        meta["class_names"],
        report,
        ids=ids,
        fields={**meta.get("fields", {}), **tensors},
    )


def _write_cache(path: Path, data: ImageData) -> None:
    """The record with its ids and fields (tensor fields as arrays, the rest as JSON)."""
    tensors = {f"field_{k}": v.numpy() for k, v in data.fields.items() if isinstance(v, Tensor)}
    meta = {
        "report": data.report,
        "num_classes": data.num_classes,
        "name": data.name,
        "class_names": data.class_names,
        "ids": data.ids,
        "fields": {k: v for k, v in data.fields.items() if not isinstance(v, Tensor)},
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(
                    f,
                    images=data.images.numpy(),
                    labels=data.labels.numpy(),
                    meta=np.array(json.dumps(meta)),
                    **tensors,
                )
            publish(tmp, path)  # mkstemp's 0600 -> an ordinary file's mode
        finally:
            Path(tmp).unlink(missing_ok=True)
    except OSError as e:
        # The cache is an optimisation: a read-only cache folder must not stop training.
        data.report["warnings"].append(f"could not write the folder cache {path}: {e.strerror}")


def skipped_warning(skipped: list[dict[str, str]], where: Path) -> str:
    """The report's one-line summary of ``skipped`` (files, and folders whose names end in /)."""
    n_folders = sum(1 for s in skipped if s["file"].endswith("/"))
    n_files = len(skipped) - n_folders
    parts = [f"{n_files} image file(s)"] if n_files else []
    parts += [f"{n_folders} folder(s)"] if n_folders else []
    return f"skipped {' and '.join(parts)} in {where}: see 'skipped' in report for the reasons"


def load_folder(
    root: str | Path,
    resolution: Size,
    channels: int,
    background: str = "white",
    *,
    limit: int = 0,
    cache_dir: Path | None = None,
    workers: int | None = None,
    max_pixels: int = MAX_PIXELS,
    exclude: Exclusion | None = None,
) -> ImageData:
    """Load an image folder into ImageData: uint8 (N, channels, height, width) of ``resolution``
    (a side, or (height, width)); ``channels`` 4 keeps transparency (RGBA).

    ``exclude`` (``data.exclude``: data/exclude.py) leaves out the duplicates it lists first,
    from the file list, so ``limit`` and the cache (keyed by the groups file's SHA-256 too) see the
    cleaned folder. ``limit`` > 0 keeps that many files spread evenly over the sorted list (every
    class keeps its share) and decodes only those. ``cache_dir`` enables the tensor cache for big
    folders. ``max_pixels`` (``data.max_pixels``) is the largest image accepted, by its header; it
    also sets the memory the decodes in flight may share (``decode.budget_bytes``).
    """
    root = Path(root).expanduser()
    if not root.exists():
        raise GanforgeError(
            f"image folder {root} does not exist: check the path in data.source=folder:PATH"
        )
    if not root.is_dir():
        raise GanforgeError(
            f"{root} is a file, not a folder: data.source=folder: needs a folder of images"
        )
    if max_pixels < 1:
        raise GanforgeError(f"data.max_pixels={max_pixels} must be a positive number of pixels")
    bg = parse_background(background)
    scan = walk_folder(root)
    files, others, classes = scan.images, scan.others, scan.classes
    if not files and scan.folders_skipped:
        first = scan.folders_skipped[0]
        raise GanforgeError(
            f"image folder {root} has no image files it can read: {len(scan.folders_skipped)} "
            f"sub-folder(s) skipped (e.g. {first['file']}: {first['reason']}): fix permissions"
        )
    if not files and not others:
        raise GanforgeError(
            f"image folder {root} is empty: put images in it, or one sub-folder of images per class"
        )
    if not files:
        examples = ", ".join(others[:3])
        raise GanforgeError(
            f"image folder {root} has no image files ({len(others)} other files, e.g. {examples}); "
            f"supported: {' '.join(sorted(IMAGE_EXTENSIONS))}"
        )
    n_found = len(files)
    left_out: list[str] = []
    if exclude is not None:  # before the limit and the cache: both see the cleaned folder
        rel = [f.relative_to(root).as_posix() for f in files]
        exclude.check_ids(rel, f"image folder {root}")
        drop = exclude.dropped
        left_out = [r for r in rel if r in drop]
        files = [f for f, r in zip(files, rel) if r not in drop]
    if 0 < limit < len(files):
        keep = np.unique(np.linspace(0, len(files) - 1, limit).round().astype(np.int64))
        files = [files[i] for i in keep]

    options = {
        "root": str(root.resolve()),
        "resolution": list(as_hw(resolution)) if not isinstance(resolution, int) else resolution,
        "channels": channels,
        "background": list(bg),
        "limit": limit,
        "max_pixels": max_pixels,
        "exclude": exclude.sha256 if exclude is not None else None,
    }
    cache_path = None
    if cache_dir is not None and len(files) >= CACHE_MIN_FILES:
        cache_path = Path(cache_dir) / "folders" / f"{_cache_key(files, options)}.npz"
        if cache_path.exists() and (cached := _read_cache(cache_path)) is not None:
            return cached

    workers = workers or min(8, (os.cpu_count() or 1) + 2)
    budget = DecodeBudget(budget_bytes(max_pixels))
    out = np.empty((len(files), channels, *as_hw(resolution)), dtype=np.uint8)
    ok = np.zeros(len(files), dtype=bool)

    def work(i: int) -> str | None:
        result = load_image(
            files[i], resolution, channels, bg, max_pixels=max_pixels, budget=budget
        )
        if isinstance(result, str):
            return result
        out[i] = result  # each worker writes its own row: no lock needed
        ok[i] = True
        return None

    with warnings.catch_warnings(), ThreadPoolExecutor(max_workers=workers) as pool:
        # Set once here, not per file: catch_warnings is process-wide and not thread-safe.
        # Oversized images are skipped with a reason in load_image instead of warned about.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        reasons = list(pool.map(work, range(len(files))))
    skipped_files = [
        {"file": f.relative_to(root).as_posix(), "reason": reason}
        for f, reason in zip(files, reasons)
        if reason is not None
    ]
    if not ok.any():
        first = skipped_files[0]
        raise GanforgeError(
            f"none of the {len(files)} image files in {root} could be read "
            f"(e.g. {first['file']}: {first['reason']}): check the files"
        )
    skipped = scan.folders_skipped + skipped_files

    class_of = {c: k for k, c in enumerate(classes)}
    labels_all = np.array(
        [class_of[f.relative_to(root).parts[0]] if classes else 0 for f in files], dtype=np.int64
    )
    images = torch.from_numpy(out[ok])
    labels = torch.from_numpy(labels_all[ok])
    class_names = classes or [root.name or str(root)]
    counts = torch.bincount(labels, minlength=len(class_names)).tolist()
    report: dict[str, Any] = {
        "path": str(root),
        "n_files": n_found,
        "n_images": int(ok.sum()),
        "n_skipped": len(skipped_files),
        "n_skipped_folders": len(scan.folders_skipped),
        "skipped": skipped[:MAX_LISTED],
        "n_ignored": len(others),
        "ignored": others[:MAX_LISTED],
        "layout": "class sub-folders" if classes else "single class",
        "class_counts": dict(zip(class_names, counts)),
        "background": "#{:02x}{:02x}{:02x}".format(*bg),
        "max_pixels": max_pixels,
        "warnings": [],
    }
    if skipped:
        report["warnings"].append(skipped_warning(skipped, root))
    empty = [c for c, n in zip(class_names, counts) if n == 0]
    if classes and empty:
        report["warnings"].append(f"class folder(s) with no readable image: {', '.join(empty)}")
    if exclude is not None:
        note_exclusion(report, exclude, left_out, n_found)
    ids = [f.relative_to(root).as_posix() for f, good in zip(files, ok) if good]
    data = ImageData(
        images, labels, len(class_names), f"folder:{root.name}", class_names, report, ids=ids
    )
    if cache_path is not None:
        _write_cache(cache_path, data)
        data.report["cache"] = {"path": str(cache_path), "hit": False}
    return data


def read_folder(
    argument: str, cfg: DataConfig, seed: int, options: Any, origin: str = "folder"
) -> ImageData:
    """The ``folder:`` scheme's reader (``origin`` names the scheme in data_report.json)."""
    data = load_folder(
        argument,
        cfg.resolution,
        cfg.channels,
        cfg.background,
        limit=cfg.max_images,
        cache_dir=cache_dir(cfg),
        max_pixels=cfg.max_pixels,
        exclude=options.get("exclude"),
    )
    data.report.update(origin=origin, split="all", paths=[data.report.pop("path")])
    return data


register_scheme(
    "folder",
    read_folder,
    takes_argument=True,
    doc="any image folder, recursive; class sub-folders become labels",
)
