"""Groups of duplicate images as a data input: the file ``ganforge dedup`` writes, read back by
``data.exclude`` to leave all but one image of each group out of a source.

The file (JSON, ``FORMAT`` version ``VERSION``) names what it was made for and its groups by item
id, as the data records name items (``ImageData.item_ids``: a file's path relative to its folder,
``fashion-mnist/train#12345`` for a canonical set)::

    {"format": "ganforge-duplicate-groups", "version": 1,
     "source": {"source": "folder:/abs/path", "split": "all", "n_items": 812,
                "ids_sha256": "...", "pixels_sha256": "...", "shape": [3, 32, 32]},
     "groups": [{"members": ["a.png", "b.png"], "distances": [0, 3],
                 "same_pixels": [true, false]}, ...],
     ...what made it: settings, model, timing (``explore/dedup.py``)}

``members[0]`` of a group is the image kept; the others are left out. ``source_key`` makes the
source comparable across spellings (``folder:~/x`` and ``folder:/home/u/x`` are one source), so a
file made for another source is refused rather than silently matching nothing.

Where the ids are checked and the images dropped (``pipeline.load_data``): before ``max_images``
and before the folder cache (whose key includes the file's SHA-256), so ``data.max_images=N``
takes N images of the cleaned set and a cached folder never serves the uncleaned one.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from ganforge.config import DataConfig
from ganforge.data.dataset import ImageData
from ganforge.data.schemes import resolve

FORMAT = "ganforge-duplicate-groups"
VERSION = 1


def source_key(source: str) -> str:
    """``data.source`` as one spelling: a scheme's argument that names an existing path made
    absolute and resolved (``folder:~/x`` -> ``folder:/home/u/x``), any other argument as
    written (a plug-in's ``blobs:64``), a named set as its scheme's name."""
    scheme, argument = resolve(source)
    if not scheme.takes_argument:
        return scheme.name
    path = Path(argument).expanduser()
    return f"{scheme.name}:{path.resolve() if path.exists() else argument}"


def describe_source(cfg: DataConfig, data: ImageData) -> dict[str, Any]:
    """What a groups file records of the images it was made from: the source, the split read
    (``data.report``'s: a fallback split is the one that was read), the number of items, and
    SHA-256 digests of their ids and of their pixels as prepared."""
    ids = "\n".join(data.item_ids()).encode()
    pixels = hashlib.sha256(data.images.contiguous().numpy().tobytes()).hexdigest()
    return {
        "source": source_key(cfg.source),
        "split": data.report.get("split", cfg.split),
        "n_items": len(data),
        "ids_sha256": hashlib.sha256(ids).hexdigest(),
        "pixels_sha256": pixels,
        "shape": list(data.images.shape[1:]),
    }
