"""Data: every ``data.source`` becomes one in-memory record at the configured size and channels.

``data.source`` names a scheme of the registry (``schemes.py``); ``load_data`` (``pipeline.py``)
resolves it, reads it and finishes the record (``dataset.py``: ``ImageData`` with per-item ids and
fields). The built-in schemes, registered by their readers when this package is imported:

    sources/        one-domain images (and points)
        sets.py         fashion-mnist, mnist, cifar10: canonical sets, cached and checksummed
                        (their readers idx.py, cifar.py)
        stacked.py      stacked-fashion-mnist: 1,000 modes from three items
        folder.py       folder:PATH, any image folder, cleaned and cached
        captioned.py    captioned:PATH, images with captions (metadata.jsonl or sidecar .txt)
        toy.py          toy-ring, toy-grid: 2-D Gaussian mixtures
    i2i/            two-domain data for the translation tasks
        schemes.py      paired:PATH, unpaired:PATH, the offline demos (edges2fashion,
                        sneakers2boots; demos.py) and the pix2pix / CycleGAN sets (sets.py:
                        facades, horse2zebra, ...), read by paired.py / unpaired.py into
                        domains.py's record; sr.py cuts super-resolution pairs
    files/          bytes to images: decode.py, download.py, archives.py

Beside them: ``loader.py`` (batches), ``transforms.py`` and ``recipe.py`` (the training recipe's
data side), ``exclude.py`` (``data.exclude``: the duplicates ``ganforge dedup`` found, left out).

A plug-in adds one with ``register_scheme``.
"""

from __future__ import annotations

import importlib
from typing import Any

from ganforge.data.dataset import ImageData
from ganforge.data.pipeline import load_data
from ganforge.data.schemes import SCHEMES, register_scheme

READERS = (
    "sources.sets",
    "sources.stacked",
    "sources.folder",
    "sources.captioned",
    "sources.toy",
    "i2i.schemes",
)
"""The built-in reader modules; each registers its schemes when imported, in this order (the
order messages list them in)."""
for _module in READERS:
    importlib.import_module(f"ganforge.data.{_module}")

__all__ = ["READERS", "SCHEMES", "ImageData", "load_data", "register_scheme"]


def __getattr__(name: str) -> Any:
    # ring_centers / grid_centers of the toy sets, as before.
    if name in ("ring_centers", "grid_centers"):
        return getattr(importlib.import_module("ganforge.data.sources.toy"), name)
    raise AttributeError(f"module 'ganforge.data' has no attribute {name!r}")
