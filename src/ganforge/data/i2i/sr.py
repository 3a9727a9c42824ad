"""Super-resolution data: high-resolution images in memory, low-resolution inputs made per batch.

Ledig et al. 2017 (SRGAN), section 3.1: "We obtained the LR images by downsampling the HR images
(BGR, C = 3) using bicubic kernel with downsampling factor r = 4", from "16 random 96 x 96 HR
sub images of distinct training images" (of ImageNet, at their own resolution). Two ways to hold
the HR images (``i2i.sr_crops``):

- ``native`` (default, ``data.source=folder:PATH``): every photo is cut, at its own resolution,
  into a centred grid of ``i2i.load_size`` tiles (at most ``TILES_PER_IMAGE`` per photo, spread
  over the grid, which bounds memory at that many times a resized copy). Random
  ``data.resolution`` crops are then cut inside the tiles, so HR crops carry the photos' real fine
  detail, as in the paper. Photos smaller than a tile are skipped and counted in the report. This
  is the "sub-image" preparation of SR code bases (e.g. BasicSR's extract_subimages.py).
- ``resize`` (and every data set: fashion-mnist, cifar10, ...): the images are stored at
  ``i2i.load_size`` (a folder's photos: short side scaled, centre square) and cropped from there.
  Downscaling a large photo first removes the detail SR should learn to restore, and the "HR"
  crops are then themselves smooth: the report warns when a folder's photos are much larger than
  ``load_size``.

Each batch cuts random HR crops (``domains.apply_crops``) and downscales the whole batch at once
with an antialiased bicubic filter (``torch.nn.functional.interpolate`` with ``antialias=True``,
which widens the kernel when shrinking as Pillow's BICUBIC resize does). The LR batch is rounded to
8-bit levels, as the files ``ganforge upscale`` reads later will be.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor

from ganforge.config import DataConfig
from ganforge.data.dataset import ImageData
from ganforge.data.files.decode import open_file
from ganforge.data.i2i.image_files import read_images, report_skipped
from ganforge.data.pipeline import load_data
from ganforge.data.schemes import resolve
from ganforge.data.sources.folder import normalize_image, parse_background, scan_folder
from ganforge.errors import GanforgeError

TILES_PER_IMAGE = 16
"""Most native-resolution tiles kept per photo (spread evenly over its grid of tiles)."""
LARGE_FACTOR = 2
"""sr_crops=resize warns when the photos' median short side exceeds this many times load_size."""


def load_sr(cfg: DataConfig, seed: int, load_size: int, sr_crops: str, scale: int) -> ImageData:
    """The HR images of ``cfg.source``: native-resolution ``load_size`` tiles of a folder's photos
    (``sr_crops=native``) or copies resized to ``load_size``."""
    scheme, folder = resolve(cfg.source)
    folder = folder if scheme.name == "folder" else None
    if folder and sr_crops == "native":
        data = load_native_tiles(Path(folder).expanduser(), load_size, cfg)
    else:
        data = load_data(
            dataclasses.replace(cfg, resolution=load_size), seed=seed, kinds=("images",)
        )
        if folder:
            data.report.setdefault("warnings", []).extend(_downscale_warning(folder, load_size))
    data.report.update(
        hr_crop=cfg.resolution, scale=scale, sr_crops=sr_crops if folder else "resize (data set)"
    )
    return data


def _tiles(img_array: np.ndarray, tile: int) -> np.ndarray:
    """(C, H, W) -> (k, C, tile, tile): a centred grid of tiles, at most TILES_PER_IMAGE of them."""
    _, h, w = img_array.shape
    ny, nx = h // tile, w // tile
    top, left = (h - ny * tile) // 2, (w - nx * tile) // 2
    cells = [(j, i) for j in range(ny) for i in range(nx)]
    if len(cells) > TILES_PER_IMAGE:
        keep = np.linspace(0, len(cells) - 1, TILES_PER_IMAGE).round().astype(int)
        cells = [cells[k] for k in keep]
    out = np.empty((len(cells), img_array.shape[0], tile, tile), dtype=np.uint8)
    for k, (j, i) in enumerate(cells):
        y, x = top + j * tile, left + i * tile
        out[k] = img_array[:, y : y + tile, x : x + tile]
    return out


def load_native_tiles(root: Path, tile: int, d: DataConfig) -> ImageData:
    """Every photo under ``root`` (recursive) cut into ``tile``-px tiles at its own resolution."""
    if not root.is_dir():
        raise GanforgeError(f"image folder {root} does not exist: check data.source=folder:PATH")
    files, _, _ = scan_folder(root)
    if not files:
        raise GanforgeError(f"image folder {root} has no image files")
    n_found = len(files)
    if 0 < d.max_images < len(files):
        keep = np.unique(np.linspace(0, len(files) - 1, d.max_images).round().astype(np.int64))
        files = [files[i] for i in keep]
    bg = parse_background(d.background)

    def clean(img: Any) -> np.ndarray:
        arr = np.asarray(normalize_image(img, d.channels, bg), dtype=np.uint8)
        arr = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)  # (C, H, W)
        return _tiles(arr, tile)

    # No JPEG draft scaling (its size argument is huge): the point is the native resolution.
    results, skipped = read_images(files, root, clean, draft=1 << 30, max_pixels=d.max_pixels)
    good = [r for r in results if r is not None]
    small = sum(1 for r in good if len(r) == 0)
    tiles = [r for r in good if len(r)]
    if not tiles:
        why = (
            f"all {small} readable photos are smaller than the {tile} px tiles: lower "
            "i2i.load_size (it must stay >= data.resolution) or use i2i.sr_crops=resize"
            if small
            else "none of its images could be read"
        )
        raise GanforgeError(f"image folder {root}: {why}")
    images = torch.from_numpy(np.concatenate(tiles))
    report: dict[str, Any] = {
        "paths": [str(root)],
        "origin": "folder",
        "split": "all",
        "n_files": n_found,
        "n_images": len(images),
        "n_photos": len(tiles),
        "n_too_small": small,
        "tile": tile,
        "tiles_per_photo_max": TILES_PER_IMAGE,
        "shape": list(images.shape),
        "resolution": tile,
        "channels": d.channels,
    }
    report.update(report_skipped(skipped, root))
    report["warnings"] = list(report.get("warnings", []))
    if small:
        report["warnings"].append(
            f"{small} photo(s) smaller than the {tile} px tiles were skipped (i2i.load_size)"
        )
    labels = torch.zeros(len(images), dtype=torch.long)
    return ImageData(images, labels, 1, f"folder:{root.name}", [root.name], report)


def _downscale_warning(folder: str, size: int) -> list[str]:
    """A warning when sr_crops=resize shrinks the photos a lot (their headers only are read)."""
    files, _, _ = scan_folder(Path(folder).expanduser())
    sides = []
    for f in files[:: max(1, len(files) // 200)]:  # a sample of headers is enough for a median
        try:
            # open_file, not Image.open(path): a FIFO named like an image would block forever.
            with open_file(f) as fp, Image.open(fp) as img:
                sides.append(min(img.size))
        except Exception:  # unreadable files are reported by the reader itself
            continue
    if not sides or float(np.median(sides)) <= LARGE_FACTOR * size:
        return []
    return [
        f"the photos' short sides are ~{int(np.median(sides))} px and are scaled down to "
        f"i2i.load_size={size} before the HR crops are cut: the fine detail SR should restore is "
        "lost; i2i.sr_crops=native crops them at their own resolution"
    ]


def quantize(x: Tensor) -> Tensor:
    """[-1, 1] floats -> the nearest of the 256 uint8 levels, still as [-1, 1] floats."""
    return x.add(1).mul(127.5).round().clamp(0, 255).div(127.5).sub(1)


def downscale(hr: Tensor, scale: int) -> Tensor:
    """(B, C, H, W) in [-1, 1] -> (B, C, H/scale, W/scale): antialiased bicubic, 8-bit levels."""
    h, w = hr.shape[-2:]
    lr = F.interpolate(
        hr.float(),
        size=(h // scale, w // scale),
        mode="bicubic",
        align_corners=False,
        antialias=True,
    )
    return quantize(lr.clamp(-1, 1))


def bicubic_upscale(lr: Tensor, scale: int) -> Tensor:
    """The trivial baseline SR is measured against: plain bicubic interpolation, clamped."""
    up = F.interpolate(lr.float(), scale_factor=scale, mode="bicubic", align_corners=False)
    return up.clamp(-1, 1)
