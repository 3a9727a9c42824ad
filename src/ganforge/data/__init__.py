"""Data: every source becomes one in-memory ``ImageData`` at the configured size and channels.

Sources (``data.source``): fashion-mnist, mnist, cifar10 (``sources.py``: canonical sets, cached
and checksummed), folder:PATH (``folder.py``: any image folder, cleaned), toy-ring and toy-grid
(``toy.py``: 2-D Gaussian mixtures). The readers live in their own modules and are imported on
first use, so ``import ganforge.data`` costs little more than torch.
"""

from __future__ import annotations

import difflib
from typing import Any

import torch

from ganforge.config import DataConfig
from ganforge.data import toy
from ganforge.data.dataset import ImageData
from ganforge.data.download import cache_dir
from ganforge.data.folder import load_folder
from ganforge.data.sources import load_cifar10, load_idx_source
from ganforge.data.stacked import load_stacked_fashion_mnist
from ganforge.data.toy import load_toy
from ganforge.data.transforms import conform
from ganforge.errors import GanforgeError

__all__ = ["SOURCES", "ImageData", "load_data"]

SOURCES = (
    "fashion-mnist",
    "mnist",
    "cifar10",
    "folder:PATH",
    "toy-ring",
    "toy-grid",
    "stacked-fashion-mnist",
)


def _finish(data: ImageData, cfg: DataConfig) -> ImageData:
    """Apply ``max_images``, bring images to the configured size, and complete the report."""
    report = data.report
    report.setdefault("warnings", [])
    images, labels = data.images, data.labels
    if data.is_image:
        report["original_shape"] = list(images.shape[1:])
    if cfg.max_images > 0 and len(images) > cfg.max_images and not cfg.source.startswith("folder:"):
        # First N: the canonical sets are already in a shuffled order (their classes are mixed).
        images, labels = images[: cfg.max_images], labels[: cfg.max_images]
    if data.is_image:
        images = conform(images, cfg.resolution, cfg.channels)
    names = data.class_names
    if labels is not None and data.num_classes:
        counts = torch.bincount(labels, minlength=data.num_classes).tolist()
        report["class_counts"] = dict(zip(names or map(str, range(data.num_classes)), counts))
    report.update(
        source=cfg.source,
        name=data.name,
        n_images=len(images),
        shape=list(images.shape),
        dtype=str(images.dtype).removeprefix("torch."),
        num_classes=data.num_classes,
        class_names=list(names),
        max_images=cfg.max_images,
    )
    if data.is_image:
        report.update(resolution=cfg.resolution, channels=cfg.channels)
    return ImageData(images, labels, data.num_classes, data.name, list(names), report)


def load_data(cfg: DataConfig, seed: int = 0) -> ImageData:
    """Load ``cfg.source`` as ImageData: uint8 (N, C, R, R) images, or float32 (N, 2) toy points.

    ``seed`` only matters for the toy sets (which points are drawn). The returned ``report``
    is JSON-serialisable and records where the data came from and what was done to it.
    """
    source = cfg.source.strip()
    if source in ("fashion-mnist", "mnist"):
        data = load_idx_source(source, cfg)
    elif source == "cifar10":
        data = load_cifar10(cfg)
    elif source.startswith("folder:"):
        path = source.removeprefix("folder:").strip()
        if not path:
            raise GanforgeError(
                "data.source=folder: needs a path: use --data folder:/path/to/images"
            )
        data = load_folder(
            path,
            cfg.resolution,
            cfg.channels,
            cfg.background,
            limit=cfg.max_images,
            cache_dir=cache_dir(cfg),
            max_pixels=cfg.max_pixels,
        )
        data.report.update(origin="folder", split="all", paths=[data.report.pop("path")])
    elif source == "stacked-fashion-mnist":
        data = load_stacked_fashion_mnist(cfg, seed)
    elif source in ("toy-ring", "toy-grid"):
        if cfg.toy_samples < 1 or cfg.toy_std < 0:
            raise GanforgeError("data.toy_samples must be positive and data.toy_std non-negative")
        data = load_toy(source, cfg.toy_samples, cfg.toy_std, seed)
    else:
        hint = difflib.get_close_matches(source, SOURCES, n=1)
        extra = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise GanforgeError(
            f"unknown data.source={cfg.source!r}{extra}: use one of {', '.join(SOURCES)}"
        )
    return _finish(data, cfg)


def __getattr__(name: str) -> Any:
    # ring_centers / grid_centers without importing toy.py eagerly.
    if name in ("ring_centers", "grid_centers"):
        return getattr(toy, name)
    raise AttributeError(f"module 'ganforge.data' has no attribute {name!r}")
