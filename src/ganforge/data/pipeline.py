"""``load_data``: a ``data.source`` through its scheme's reader to the record a task trains on.

The steps, the same for every scheme (data/schemes.py):

1. resolve ``data.source`` to a scheme and check it yields a kind the task reads;
2. read it (the scheme's reader: canonical sets are checksummed, folders cleaned and cached);
3. finish image and point records: ``data.exclude`` (all but one image of each group of
   duplicates that ``ganforge dedup`` found left out: data/exclude.py), then ``data.max_images``
   (the first N of the canonical sets, which are shuffled already; a folder's reader chooses its
   N evenly while reading, after leaving out the excluded files itself, before its cache), images
   brought to the configured size and channels, and the report completed (source, counts, shape,
   classes).

Records keep their class, ids and fields through every step (``ImageData.subset``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import torch

from ganforge.config import DataConfig
from ganforge.data.dataset import ImageData
from ganforge.data.exclude import Exclusion, apply_exclusion, read_exclusion
from ganforge.data.schemes import kind_error, resolve
from ganforge.data.transforms import conform
from ganforge.errors import GanforgeError

IMAGE_KINDS = ("images", "points")
"""What noise-to-image tasks read (the default of ``load_data``)."""


def load_data(
    cfg: DataConfig,
    seed: int = 0,
    kinds: tuple[str, ...] = IMAGE_KINDS,
    options: Mapping[str, Any] | None = None,
    task: str = "",
) -> ImageData:
    """Load ``cfg.source`` as a record of one of ``kinds``: uint8 (N, C, H, W) images at the
    configured size, float32 (N, 2) toy points, or a two-domain record.

    ``seed`` only matters for generated sets (which toy points are drawn); ``options`` go to the
    scheme's reader (an image-to-image task's ``load_size``, ``fit``); ``task`` names the task in
    errors. The returned ``report`` is JSON-serialisable and records where the data came from and
    what was done to it.
    """
    scheme, argument = resolve(cfg.source)
    offered = [k for k in kinds if k in scheme.kinds]
    if not offered:
        raise GanforgeError(kind_error(cfg.source.strip(), scheme, kinds, task))
    exclusion = None
    if cfg.exclude.strip():
        if offered[0] not in IMAGE_KINDS:
            raise GanforgeError(
                f"data.exclude cleans image sets; data.source={cfg.source.strip()} gives "
                f"{offered[0]} data: leave data.exclude out"
            )
        exclusion = read_exclusion(cfg.exclude, cfg)  # checked before anything is read
    extra = {"kind": offered[0], **({"exclude": exclusion} if exclusion else {})}
    data = scheme.read(argument, cfg, seed, {**(options or {}), **extra})
    if offered[0] in IMAGE_KINDS:
        data = finish(data, cfg, exclusion)
    data.report.setdefault("scheme", scheme.name)
    return data


def finish(data: ImageData, cfg: DataConfig, exclusion: Exclusion | None = None) -> ImageData:
    """Leave out ``exclusion``'s duplicates (unless the reader did, as a folder's does), apply
    ``max_images`` (a reader that chose its N itself is within it already), bring images to the
    configured size, and complete the report."""
    report = data.report
    report.setdefault("warnings", [])
    if data.is_image:
        report["original_shape"] = list(data.images.shape[1:])
    if exclusion is not None and "exclude" not in report:
        data = apply_exclusion(data, exclusion, cfg.source.strip())
    if cfg.max_images > 0 and len(data) > cfg.max_images:
        # First N: the canonical sets are already in a shuffled order (their classes are mixed).
        data = data.subset(slice(0, cfg.max_images))
    if data.is_image:
        data = dataclasses.replace(data, images=conform(data.images, cfg.resolution, cfg.channels))
    names, labels = data.class_names, data.labels
    if labels is not None and data.num_classes:
        counts = torch.bincount(labels, minlength=data.num_classes).tolist()
        report["class_counts"] = dict(zip(names or map(str, range(data.num_classes)), counts))
    report.update(
        source=cfg.source,
        name=data.name,
        n_images=len(data),
        shape=list(data.images.shape),
        dtype=str(data.images.dtype).removeprefix("torch."),
        num_classes=data.num_classes,
        class_names=list(names),
        max_images=cfg.max_images,
    )
    if data.is_image:
        report.update(resolution=cfg.resolution, channels=cfg.channels)
    return data
