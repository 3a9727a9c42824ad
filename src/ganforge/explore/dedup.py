"""De-duplicate an image set by semantic hashing: the work of ``ganforge dedup``.

Radford, Metz & Chintala 2016 (DCGAN, section 4.1.1) fought memorisation by removing near
duplicates from LSUN bedrooms: a denoising, dropout-regularised ReLU autoencoder's 128-unit code,
"binarized via thresholding the ReLU activation", is a semantic hash (Salakhutdinov & Hinton 2009),
and images whose codes collide are duplicates (about 275,000 found, false positives estimated
under 1 in 100). Here, for any source (``folder:PATH``, ``fashion-mnist``, ...):

1. ``load_source``: the images at the autoencoder's size and channels, prepared as for training
   (the data layer: resized, centre-cropped, transparency composited), with their item ids.
2. ``train_autoencoder`` (no ``--model``): ``DEDUP_AE``, the ``dcgan-ae-32`` preset with a
   512-unit code on images centred by mass, ``autoencoder_images`` long (100 passes over the
   source, from 128,000 to 768,000 images), trained on the source by the one Trainer into
   ``OUT/autoencoder`` (a run folder: ``--model OUT/autoencoder`` reuses it). Both choices are the
   prototype's (benchmarks/dedup_prototype.py): centring took the recall of 1-px shifted copies
   from ~0 to ~0.9, and on the 60k Fashion-MNIST training images 512 bits within radius 10 kept
   precision near 0.9 where 256 bits did not.
3. ``find_groups``: encode every image (the run's ``encode`` use), binarise (``threshold``: code >
   0, the paper's "ReLU on", or each unit's median), and group (metrics/near_duplicates.py):
   exact duplicates (same pixels after the preparation) always, hash collisions, and codes within
   ``radius`` bits, as connected components. Exact duplicates and collisions cost linear time
   (hash tables); the radius search is multi-index hashing, whose cost is the candidate pairs it
   verifies (recorded with each result): on 62,000 Fashion-MNIST codes of 512 bits 889,160 at
   radius 10, 5 s on one CPU thread (benchmarks/dedup.py). ``auto_radius``: 2% of the code's bits
   (512 -> 10, 128 -> 3); there, on planted near copies, recall 0.880 at precision 0.912.
4. ``document`` (``groups.json``, read back by ``data.exclude``: data/exclude.py) and
   ``contact_sheet`` (``groups.png``: the largest groups, one a row, the kept image first).
5. ``staged_outputs``: everything is built in a temporary folder and moved into ``OUT`` when
   complete, so an interrupted run leaves no half-written output.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ganforge.atomic import TEMP_PREFIX, atomic_dir
from ganforge.config import Config, DataConfig, load_config
from ganforge.data import load_data
from ganforge.data.dataset import ImageData
from ganforge.data.exclude import FORMAT, VERSION, describe_source, source_key
from ganforge.data.recipe import source_channels
from ganforge.errors import GanforgeError
from ganforge.explore.figure import auto_scale, compose
from ganforge.metrics.near_duplicates import (
    BinaryCodes,
    DuplicateGroup,
    binarize,
    duplicate_groups,
    median_thresholds,
    multi_index_candidates,
)
from ganforge.runs import load_run
from ganforge.train.trainer import Trainer
from ganforge.version import __version__

RESOLUTION = 32
"""Side the images are hashed at without ``--model`` (the paper's 32x32 crops)."""
DEDUP_AE: dict[str, Any] = {"autoencoder.code": 512, "autoencoder.center": True}
"""What ``ganforge dedup`` changes in the ``dcgan-ae-32`` preset for its own autoencoder."""
AE_PASSES, AE_IMAGES = 100, (128_000, 768_000)
"""Its training length: ``AE_PASSES`` passes over the source, within ``AE_IMAGES`` (the
prototype's 768,000 images, 6,000 steps of 128, served 10k and 60k images alike)."""
RADIUS_FRACTION = 0.02
"""``auto_radius``: this share of the code's bits."""
SHEET_GROUPS, SHEET_MEMBERS = 16, 12
"""The contact sheet's rows (largest groups) and tiles a row."""
AE_FOLDER, JSON_NAME, SHEET_NAME = "autoencoder", "groups.json", "groups.png"


# --------------------------------------------------------------------------- 1. the source


def load_source(source: str, split: str, shape: tuple[int, int, int]) -> tuple[DataConfig, Any]:
    """(the DataConfig, the ImageData) of ``source`` at ``shape`` (C, H, W), as training reads it."""
    c, h, w = shape
    cfg = DataConfig(source=source, split=split, resolution=h if h == w else [h, w], channels=c)
    return cfg, load_data(cfg, kinds=("images",), task="dedup")


def check_not_inside(out: Path, cfg: DataConfig) -> None:
    """``out`` must not lie inside a source folder: its PNGs would become images of the set."""
    key = source_key(cfg.source)
    if not key.startswith("folder:"):
        return
    folder = Path(key.removeprefix("folder:"))
    target = out.expanduser().resolve()
    if target == folder or folder in target.parents:
        raise GanforgeError(
            f"--out {out} is inside the source folder {folder}: its files would become images of "
            "the set; pick a folder outside it"
        )


def native_channels(cfg: DataConfig, data: ImageData) -> tuple[int, str]:
    """The channels of the source's own images (1 grey, 3 colour) and a few words why: a folder's
    from its files' headers, a canonical set's from its stored shape."""
    if source_key(cfg.source).startswith("folder:"):
        return source_channels(cfg)
    stored = int(data.report.get("original_shape", [cfg.channels])[0])
    return (1, "its images are grey") if stored == 1 else (3, "its images are in colour")


def resized_note(cfg: DataConfig, data: ImageData) -> str | None:
    """A note when a canonical set's images are resized to the autoencoder's size."""
    stored = data.report.get("original_shape")
    if source_key(cfg.source).startswith("folder:") or not stored:
        return None
    if tuple(stored[1:]) == cfg.size:
        return None
    h, w = cfg.size
    return f"{cfg.source}'s {stored[1]}x{stored[2]} images are resized to the autoencoder's {h}x{w}"


# --------------------------------------------------------------------------- 2. the autoencoder


def autoencoder_images(n: int) -> int:
    """Images the dedup autoencoder trains on for a source of ``n`` images."""
    return min(AE_IMAGES[1], max(AE_IMAGES[0], AE_PASSES * n))


def autoencoder_config(cfg: DataConfig, out_dir: Path, images: int, device: str) -> Config:
    """``DEDUP_AE``: the config of the autoencoder dedup trains on ``cfg``'s images."""
    over = {
        **DEDUP_AE,
        "name": AE_FOLDER,
        "description": f"trained by `ganforge dedup` to hash {cfg.source}",
        "out_dir": str(out_dir),
        "data.source": source_key(cfg.source),  # a folder by its absolute path
        "data.split": cfg.split,
        "data.resolution": cfg.resolution,
        "data.channels": cfg.channels,
        "train.images": images,
        "train.loggers": [],
        "train.report": False,
        "runtime.device": device,
    }
    return load_config("dcgan-ae-32", over)


def train_autoencoder(cfg: Config, data: ImageData, run_dir: Path, progress: bool) -> Path:
    """Train ``cfg``'s autoencoder on ``data`` into ``run_dir`` (a run folder); its path."""
    batch = min(cfg.train.batch_size, len(data))
    tc = dataclasses.replace(cfg.train, batch_size=batch)
    rt = dataclasses.replace(cfg.runtime, progress=progress)
    cfg = dataclasses.replace(cfg, train=tc, runtime=rt)
    Trainer(cfg, run_dir=run_dir, data=data).fit()
    return run_dir


def open_encoder(run: str | Path, checkpoint: str | None, ema: bool, device: Any) -> Any:
    """The LoadedRun of ``run``; one error when it cannot ``encode``."""
    loaded = load_run(run, checkpoint, ema=ema, device=device)
    loaded.require("encode", command="`ganforge dedup`")
    return loaded


def encoded_shape(run: Any) -> tuple[int, int, int]:
    """(C, H, W) of the images a run's ``encode`` takes: what its model declares
    (``Encoder.image_shape``), else the run's data shape (a plug-in's encoder)."""
    declared = getattr(run.model, "image_shape", None)
    if declared is not None:
        c, h, w = declared
        return int(c), int(h), int(w)
    return (run.cfg.data.channels, *run.cfg.data.size)


def check_channels(shape: tuple[int, ...], native: int, what: str, run: Any) -> None:
    """The source's own channels must be the autoencoder's (one line, naming both)."""
    c = shape[0]
    if native != c:
        kinds = {1: "grey", 3: "colour", 4: "RGBA"}
        raise GanforgeError(
            f"{what} holds {kinds.get(native, native)} images and {run} encodes {c}-channel "
            f"images: use an autoencoder trained on {native}-channel images, or leave out --model "
            "to train one on this source"
        )


# --------------------------------------------------------------------------- 3. groups


def auto_radius(n_bits: int) -> int:
    """``RADIUS_FRACTION`` of the bits, at least 1: 512 -> 10, 256 -> 5, 128 -> 3."""
    return max(1, round(RADIUS_FRACTION * n_bits))


def parse_threshold(text: str | float) -> float | str:
    """``--threshold``: a number (0: the paper's ReLU > 0) or ``median`` (each unit's median)."""
    if isinstance(text, str) and text.strip().lower() == "median":
        return "median"
    try:
        value = float(text)
    except ValueError:
        raise GanforgeError(
            f"--threshold {text}: give a number (0: a code unit is on when its ReLU is, the "
            "paper's) or median"
        ) from None
    if not math.isfinite(value):
        raise GanforgeError(f"--threshold {text} must be a finite number, or median")
    return value


def check_radius(radius: int | None, n_bits: int) -> int:
    """``--radius``: from 0 to the code's bits; None: ``auto_radius``."""
    if radius is None:
        return auto_radius(n_bits)
    if not 0 <= radius <= n_bits:
        raise GanforgeError(
            f"--radius {radius} must be from 0 to the code's {n_bits} bits (the Hamming distance "
            f"within which codes are grouped; default {auto_radius(n_bits)})"
        )
    return radius


@dataclasses.dataclass
class Found:
    """What ``find_groups`` found, and what it cost."""

    groups: list[DuplicateGroup]
    bits: BinaryCodes
    radius: int
    threshold: float | str
    candidates: int
    encode_s: float
    search_s: float

    @property
    def left_out(self) -> int:
        return sum(len(g.members) - 1 for g in self.groups)

    @property
    def exact_groups(self) -> int:
        return sum(1 for g in self.groups if g.same_pixels and all(g.same_pixels))


def find_groups(model: Any, images: Tensor, radius: int | None, threshold: float | str) -> Found:
    """Encode ``images`` (uint8 (N, C, H, W)) with a model's ``encode`` use, binarise and group
    them."""
    t0 = time.perf_counter()
    codes = model.encode(images).float().cpu()  # (N, code)
    if codes.ndim != 2 or len(codes) != len(images):
        raise GanforgeError(
            f"the model's encode gave codes of shape {tuple(codes.shape)} for {len(images)} "
            "images: dedup needs one code vector per image"
        )
    encode_s = time.perf_counter() - t0
    cut = median_thresholds(codes) if threshold == "median" else threshold
    bits = binarize(codes, cut)
    radius = check_radius(radius, bits.n_bits)
    t0 = time.perf_counter()
    groups = duplicate_groups(bits, radius, images)
    search_s = time.perf_counter() - t0
    # The radius search runs on the distinct codes; its cost is their candidate pairs.
    unique = torch.unique(bits.packed, dim=0)
    candidates = multi_index_candidates(BinaryCodes(unique, bits.n_bits), radius)
    return Found(groups, bits, radius, threshold, candidates, encode_s, search_s)


# --------------------------------------------------------------------------- 4. the outputs


def document(
    cfg: DataConfig, data: ImageData, found: Found, model: dict[str, Any]
) -> dict[str, Any]:
    """The JSON of ``groups.json``: source, settings, model, groups by item id, distances."""
    ids = data.item_ids()
    bits = found.bits.unpack().float()
    return {
        "format": FORMAT,
        "version": VERSION,
        "source": describe_source(cfg, data),
        "settings": {
            "threshold": found.threshold,
            "radius": found.radius,
            "code_bits": found.bits.n_bits,
            "bits_on_per_image": round(float(bits.sum(1).mean()), 2),
        },
        "model": model,
        "summary": {
            "images": len(data),
            "groups": len(found.groups),
            "images_in_groups": sum(len(g.members) for g in found.groups),
            "left_out": found.left_out,
            "exact_groups": found.exact_groups,
        },
        "cost": {
            "encode_s": round(found.encode_s, 3),
            "search_s": round(found.search_s, 3),
            "candidate_pairs": found.candidates,
        },
        "groups": [
            {
                "members": [ids[i] for i in g.members],
                "distances": g.distances,
                "same_pixels": g.same_pixels,
            }
            for g in found.groups
        ],
        "ganforge": __version__,
    }


def short_id(item: str) -> str:
    """A caption for an item id: ``#12345`` of a canonical set's, a file's name."""
    return f"#{item.rpartition('#')[2]}" if "#" in item else item.rpartition("/")[2]


def contact_sheet(
    images: Tensor,
    groups: list[DuplicateGroup],
    ids: list[str] | None = None,
    rows: int = SHEET_GROUPS,
    per_row: int = SHEET_MEMBERS,
) -> np.ndarray | None:
    """(H, W, C) uint8: the ``rows`` largest groups, one a row, the kept image first ("keep"),
    then its duplicates captioned with their Hamming distance ("same" for identical pixels) and,
    given ``ids``, each item's short name; a last tile "+N" when a group has more members than
    fit. None when there are no groups."""
    if not groups:
        return None
    tiles, captions, labels = [], [], []
    for k, g in enumerate(groups[:rows]):
        shown = g.members[:per_row]
        tiles.append([images[i] for i in shown])
        same = g.same_pixels or [False] * len(g.members)
        text = ["keep"] + [
            "same" if same[j] else f"d={g.distances[j]}" for j in range(1, len(shown))
        ]
        if len(g.members) > per_row:
            text[-1] = f"+{len(g.members) - per_row + 1}"
        if ids is not None:
            text = [f"{t}\n{short_id(ids[i])}" for t, i in zip(text, shown)]
        captions.append(text)
        labels.append(f"{k + 1}")
    return compose(tiles, labels, captions, scale=auto_scale(images.shape[-1], 48))


@contextlib.contextmanager
def staged_outputs(out: Path) -> Iterator[Path]:
    """A temporary folder to build the outputs in. When the block succeeds, a new ``out`` is that
    folder, renamed into place whole; an existing ``out`` (empty, or ``--force``) gets each entry
    of it moved in, replacing the entry of that name (a folder is removed first). When the block
    fails, nothing of it is left."""
    if not out.exists():
        with atomic_dir(out) as tmp:
            yield tmp
        return
    tmp = Path(tempfile.mkdtemp(dir=out, prefix=TEMP_PREFIX, suffix=".new"))
    try:
        yield tmp
        for entry in sorted(tmp.iterdir()):
            target = out / entry.name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            elif target.exists() or target.is_symlink():
                target.unlink()
            os.replace(entry, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_out(out: Path, force: bool) -> None:
    """``--out`` is a new or empty folder, or ``--force`` was given."""
    if out.exists() and not out.is_dir():
        raise GanforgeError(f"--out {out} is a file: give a folder for the groups")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise GanforgeError(
            f"--out {out} is not empty: pick a new folder, or --force to replace its "
            f"{JSON_NAME}, {SHEET_NAME} and {AE_FOLDER}/"
        )
