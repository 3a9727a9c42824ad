"""Unpaired image data for CycleGAN: two folders of images with no correspondence.

``data.source=unpaired:PATH`` reads ``PATH/trainA/`` and ``PATH/trainB/`` (``testA/``, ``testB/``
with ``data.split=test``), the layout of the CycleGAN data sets (horse2zebra, monet2photo, ...).
``PATH/A/`` and ``PATH/B/`` are accepted too. The two sets may differ in size; each is fitted to
``i2i.load_size`` (``i2i.fit``) with the channels asked for; unreadable files are skipped and listed.
An empty or missing domain is an error that names the folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ganforge.data.files.decode import MAX_PIXELS
from ganforge.data.i2i.domains import TwoDomainData
from ganforge.data.i2i.image_files import cleaner, list_images, read_images, report_skipped, stack
from ganforge.data.sources.folder import parse_background
from ganforge.errors import GanforgeError


def domain_folders(root: Path, split: str) -> tuple[Path, Path, str]:
    """(folder A, folder B, the split they hold: train, test or all)."""
    for a, b, used in ((f"{split}A", f"{split}B", split), ("A", "B", "all")):
        if (root / a).is_dir() or (root / b).is_dir():
            return root / a, root / b, used
    raise GanforgeError(
        f"unpaired data: {root} has no {split}A/ and {split}B/ folders (CycleGAN layout: "
        f"trainA/ trainB/, optionally testA/ testB/)"
    )


def load_unpaired(
    root: str | Path,
    split: str,
    size: int,
    channels: int,
    background: str = "white",
    fit: str = "crop",
    limit: int = 0,
    max_pixels: int = MAX_PIXELS,
) -> TwoDomainData:
    """Read ``{split}A`` and ``{split}B`` -> TwoDomainData (``sources`` A, ``images`` B).

    Image files over ``max_pixels`` (``data.max_pixels``) are skipped and listed.
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise GanforgeError(
            f"unpaired data folder {root} does not exist (data.source=unpaired:PATH)"
        )
    bg = parse_background(background)
    clean = cleaner(size, channels, bg, fit)
    out, skipped, report = [], [], {"path": str(root), "warnings": []}
    *folders, used = domain_folders(root, split)
    for folder in folders:
        if not folder.is_dir():
            raise GanforgeError(f"unpaired data: domain folder {folder} does not exist")
        files = list_images(folder)
        if not files:
            raise GanforgeError(
                f"unpaired data: {folder} has no image files: both domains need images"
            )
        if 0 < limit < len(files):
            files = files[:limit]
        arrays, skip = read_images(files, root, clean, size, max_pixels=max_pixels)
        skipped += skip
        out.append(stack(arrays, folder, skip))
    a, b = out
    info: dict[str, Any] = report_skipped(skipped, root)
    report["warnings"] += info.pop("warnings", [])
    report.update(info, layout="unpaired A/B folders", n_a=len(a), n_b=len(b), split=used)
    return TwoDomainData(
        images=torch.from_numpy(b),
        labels=None,
        num_classes=0,
        name=f"unpaired:{root.name}",
        report=report,
        sources=torch.from_numpy(a),
        paired=False,
    )
