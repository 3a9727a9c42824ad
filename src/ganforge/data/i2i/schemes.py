"""The two-domain schemes of ``data.source``: what the translation tasks read.

    kind      data.source
    pairs     paired:PATH | edges2fashion (demo) | facades, maps, edges2shoes, ... (pix2pix sets)
    unpaired  unpaired:PATH | sneakers2boots (demo) | horse2zebra, monet2photo, ... (CycleGAN sets)

Each is registered in the scheme registry (data/schemes.py) with its kind; the readers take the
task's ``options``: ``load_size`` (the side images are stored at; default ``data.resolution``) and
``fit`` (crop or pad). Which way a task maps (A to B, or B to A) is the task's to apply.
(Super-resolution reads any single-domain source: ``data/i2i/sr.py``.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ganforge.config import DataConfig
from ganforge.data.files.download import cache_dir
from ganforge.data.i2i.demos import load_demo
from ganforge.data.i2i.domains import TwoDomainData
from ganforge.data.i2i.paired import load_paired
from ganforge.data.i2i.sets import PAIRED_SETS, UNPAIRED_SETS, locate_set
from ganforge.data.i2i.unpaired import load_unpaired
from ganforge.data.schemes import register_scheme


def _size(cfg: DataConfig, options: Mapping[str, Any]) -> int:
    return int(options.get("load_size") or cfg.resolution)


def _read_folder(paired: bool):
    reader = load_paired if paired else load_unpaired

    def read(argument: str, cfg: DataConfig, seed: int, options: Mapping[str, Any]):
        fit = options.get("fit", "crop")
        size = _size(cfg, options)
        return reader(
            argument, cfg.split, size, cfg.channels, cfg.background, fit, cfg.max_images,
            cfg.max_pixels,
        )  # fmt: skip

    return read


def _read_set(name: str):
    def read(argument: str, cfg: DataConfig, seed: int, options: Mapping[str, Any]):
        paired = options.get("kind", "pairs") == "pairs"
        ds = (PAIRED_SETS if paired else UNPAIRED_SETS)[name]
        reader = load_paired if paired else load_unpaired
        root, notes = locate_set(ds, cache_dir(cfg), cfg.download)
        fit = options.get("fit", "crop")
        data = reader(
            root, cfg.split, _size(cfg, options), cfg.channels, cfg.background, fit,
            cfg.max_images, cfg.max_pixels,
        )  # fmt: skip
        data.report.setdefault("warnings", []).extend(notes)
        return data

    return read


def _read_demo(name: str):
    def read(argument: str, cfg: DataConfig, seed: int, options: Mapping[str, Any]):
        return load_demo(name, cfg, _size(cfg, options))

    return read


def finish_two_domains(data: TwoDomainData, source: str) -> TwoDomainData:
    """The counts every two-domain report carries."""
    data.report.setdefault("warnings", [])
    data.report.update(
        source=source,
        n_a=len(data.sources),
        n_b=len(data.images),
        shape=list(data.images.shape[1:]),
    )
    return data


register_scheme(
    "paired",
    _read_folder(True),
    kind="pairs",
    takes_argument=True,
    doc="paired:PATH, side-by-side A|B images, or A/ and B/ folders paired by name (pix2pix)",
)
register_scheme(
    "unpaired",
    _read_folder(False),
    kind="unpaired",
    takes_argument=True,
    doc="unpaired:PATH, trainA/ and trainB/ (or A/ and B/) of any sizes (CycleGAN)",
)
register_scheme(
    "edges2fashion",
    _read_demo("edges2fashion"),
    kind="pairs",
    doc="offline pix2pix demo: Sobel edge maps -> Fashion-MNIST items",
)
register_scheme(
    "sneakers2boots",
    _read_demo("sneakers2boots"),
    kind="unpaired",
    doc="offline CycleGAN demo: Fashion-MNIST sneakers <-> ankle boots",
)
# cityscapes and maps are both a pix2pix (paired) and a CycleGAN (unpaired) set: one scheme,
# whose reader takes the kind the task reads.
for _name in sorted(set(PAIRED_SETS) | set(UNPAIRED_SETS)):
    _kinds = tuple(
        k for k, sets in (("pairs", PAIRED_SETS), ("unpaired", UNPAIRED_SETS)) if _name in sets
    )
    _doc = " and ".join(
        w for w, s in (("pix2pix", PAIRED_SETS), ("CycleGAN", UNPAIRED_SETS)) if _name in s
    )
    register_scheme(_name, _read_set(_name), kind=_kinds, doc=f"the {_doc} {_name} set")
