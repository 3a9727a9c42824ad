"""A training recipe for any image folder: what ``ganforge train --data folder:PATH`` picks when no
preset is given.

It looks at the folder from file headers only (nothing is decoded): how many images, their usual
size and aspect, whether they are grey, and whether they carry transparency, and returns a preset
with the resolution, channels and augmentation that fit, plus one line saying what it chose and
why. The choice goes into the run's config.yaml (its ``description`` says why), so a run can be
repeated without the recipe.

The rules, and the evidence behind them:

- **Model, by device and data, from measurements.** ``recipe_evidence.json`` (packaged beside this
  file) holds, per device, the rankings of the folder race (``benchmarks/folder_race.py``): for
  colour, held-out emoji KID on Lite1 after the same training time at several folder sizes; for
  grey, the Fashion-MNIST race's FD-FMNIST (a referee that never saw ImageNet, which matters
  because the projected discriminator's features are ImageNet's: Kynkäänniemi et al. 2023). The
  recipe takes the best-ranked preset that can make the data's channels and shape, from the
  rows of the data's kind (grey or colour) at the measured size nearest to the folder's. Where a
  device has no measurements, it says so and falls back: on a CPU to ``r3gan-folder-64`` (the
  choice before the race); on a GPU to the papers, the projected FastGAN (Sauer et al. 2021,
  Projected GAN: fastest convergence on small sets) under ``FEW`` images when the Lite0 wheel is
  installed, R3GAN (Huang et al. 2024) from there on. Without the Lite0 wheel the projected
  preset is passed over for the next in the ranking.

- **Augmentation by data size.** DiffAugment (Zhao et al. 2020) is what made 100-shot sets train
  (Obama 100-shot FID 80.2 -> 46.9): below ``FEW`` images its fixed colour, translation and cutout
  policy; ADA (Karras et al. 2020) tunes its strength to the discriminator's overfitting, which
  suits a few thousand images (MetFaces, 1,336 images: 57.3 -> 18.2), so up to ``MANY``; beyond
  that, flips only (the ADA paper: augmentation stops helping with enough data).
- **Resolution.** The largest of 32 / 64 px the images cover (images under 32 px are brought up
  to 32); 64 px is the CPU-friendly cap (``--set data.resolution=128`` for more). An aspect that most
  images share and that differs from square by more than ``ASPECT_TOLERANCE`` keeps its shape
  (e.g. [64, 96] for 2:3 photos), from the sizes the R3GAN networks build.
- **Channels, by most of the files.** 4 (RGBA, generated transparency) when most sampled files carry
  an alpha channel or a transparent colour; else 1 when most are grey; else 3. One odd file (a
  transparent PNG among grey digits) does not change the model; the minority is converted (alpha
  composited onto ``data.background``, colour to grey or grey to RGB) and the line says so.

``source_channels`` answers the one question of channels for any source (a model that takes the
data as they are: ``ganforge train --preset dcgan-ae-32 --data ...``, ``ganforge dedup``).
"""

from __future__ import annotations

import dataclasses
import json
import math
import random
import statistics
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from ganforge.config import DataConfig
from ganforge.data.files.decode import FORMATS, UnusableFile, open_file
from ganforge.data.pipeline import load_data
from ganforge.data.schemes import resolve
from ganforge.data.sources.folder import walk_folder
from ganforge.errors import DataWarning, GanforgeError

PRESET = "r3gan-folder-64"
"""The CPU fallback where no race is measured (and the GPU choice from FEW images on)."""
FAST, PROJECTED = "fastgan-folder-64", "fastgan-projected-folder-64"
EVIDENCE = Path(__file__).with_name("recipe_evidence.json")
"""Per device, the folder race's ranking of presets at each measured folder size."""
RGBA_PRESETS = frozenset({PRESET, FAST, PROJECTED})
"""Presets whose task makes RGBA and non-square images (dcgan-folder-64 does not)."""
FEW, MANY = 1_000, 20_000
"""Below FEW images: DiffAugment; below MANY: adaptive ADA; from MANY on: flips only."""
SAMPLED = 200
"""Files whose headers are read (a seeded sample of the folder)."""
ASPECT_TOLERANCE = 0.2
"""|log2 aspect| below this (about 15%) counts as square."""
GREY = frozenset({"1", "L", "LA", "I", "I;16", "I;16L", "I;16B", "I;16N", "F"})
ALPHA = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})
SIDES = (32, 64)
NON_SQUARE = ((32, 48), (48, 32), (48, 64), (64, 48), (64, 96), (96, 64), (32, 64), (64, 32))
"""(height, width) pairs the R3GAN networks build (a 3-8 px basis on both sides)."""


@dataclass
class Recipe:
    preset: str
    overrides: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    """One line: what was chosen and why (printed, and kept as the config's description)."""


@dataclass
class FolderSummary:
    n_images: int
    sampled: int
    readable: int
    median_size: tuple[int, int]  # (height, width)
    grey_files: int
    alpha_files: int
    aspect: float  # width / height, the median


def summarise(root: Path, sample: int = SAMPLED, seed: int = 0) -> FolderSummary:
    """Headers of a seeded sample of the folder's images (no pixels decoded)."""
    scan = walk_folder(root)
    files = scan.images
    if not files and not scan.others:  # the loader's words, so either path says the same
        raise GanforgeError(
            f"image folder {root} is empty: put images in it, or one sub-folder of images per class"
        )
    if not files:
        raise GanforgeError(
            f"image folder {root} has no image files ({len(scan.others)} other files, e.g. "
            f"{', '.join(scan.others[:3])}); supported: png, jpg, webp, bmp, gif, tiff"
        )
    picked = random.Random(seed).sample(files, min(sample, len(files)))
    heights, widths, aspects = [], [], []
    grey, alpha, readable = 0, 0, 0
    for path in picked:
        try:
            with open_file(path) as f, Image.open(f, formats=FORMATS) as img:
                w, h = img.size
                mode, info = img.mode, img.info
        except (UnusableFile, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
            continue  # the loader reports it; a recipe only needs the readable majority
        readable += 1
        heights.append(h)
        widths.append(w)
        aspects.append(w / max(h, 1))
        grey += mode in GREY
        alpha += mode in ALPHA or "transparency" in info
    if not readable:
        raise GanforgeError(
            f"none of the {len(picked)} sampled image files in {root} could be read (corrupt or "
            "not images): check the folder"
        )
    return FolderSummary(
        n_images=len(files),
        sampled=len(picked),
        readable=readable,
        median_size=(int(statistics.median(heights)), int(statistics.median(widths))),
        grey_files=grey,
        alpha_files=alpha,
        aspect=float(statistics.median(aspects)),
    )


def _shape(summary: FolderSummary) -> tuple[int, int]:
    """(height, width) to train at: square unless the images share a clearly other aspect."""
    h, w = summary.median_size
    short = min(h, w)
    side = max((s for s in SIDES if s <= short), default=SIDES[0])
    if abs(math.log2(summary.aspect)) < ASPECT_TOLERANCE:
        return side, side
    # The buildable shape nearest in aspect, no larger than the images and than 96 px.
    fits = [(a, b) for a, b in NON_SQUARE if a <= max(h, 32) and b <= max(w, 32)] or NON_SQUARE
    return min(fits, key=lambda hw: (abs(math.log2(hw[1] / hw[0] / summary.aspect)), -hw[0]))


def channels_of(s: FolderSummary) -> tuple[int, str]:
    """(channels, what the files show, in a few words) by most of the sampled files."""
    r = s.readable
    if 2 * s.alpha_files > r:
        return 4, f"transparency in {s.alpha_files} of {r} sampled files"
    parts = []
    if s.grey_files:
        parts.append(
            "all sampled files grey" if s.grey_files == r else f"{s.grey_files} of {r} grey"
        )
    if s.alpha_files:
        parts.append(f"transparency in only {s.alpha_files} of {r} (composited)")
    return (1 if 2 * s.grey_files > r else 3), ", ".join(parts)


def measured(device: str) -> dict[str, Any] | None:
    """The folder race's record for ``device`` ("cpu" or "cuda") from ``EVIDENCE``, or None."""
    try:
        table = json.loads(EVIDENCE.read_text())
    except FileNotFoundError:
        return None
    entry = table.get(device) if isinstance(table, dict) else None
    return entry if isinstance(entry, dict) and entry.get("by_size") else None


def choose_preset(
    n: int, device: str, channels: int, square: bool, imagenet: bool = True
) -> tuple[str, str]:
    """(preset, why in a few words) for ``n`` images on ``device`` (cpu | cuda): the race's
    best-ranked preset that can make these images, at the measured size nearest ``n`` (on a log
    scale); without measurements, the fallback of the module docstring. ``imagenet``: whether the
    Lite0 wheel the projected discriminator needs is installed."""
    kind = "GPU" if device == "cuda" else "CPU"
    special = channels == 4 or not square  # RGBA or another aspect: not every task makes it

    def usable(p: str) -> bool:
        return (p in RGBA_PRESETS or not special) and (imagenet or p != PROJECTED)

    record = measured(device)
    if record is not None:
        data = "grey" if channels == 1 else "colour"
        rows = [r for r in record["by_size"] if r.get("data", "colour") == data]
        rows = rows or record["by_size"]  # no rows of this kind: the nearest there are
        row = min(rows, key=lambda r: abs(math.log(max(r["images"], 1) / max(n, 1))))
        ranked = [(p, v) for p, v in row["ranking"] if usable(p)]
        if ranked:
            (best, score), rest = ranked[0], ranked[1:]
            vs = f" vs {rest[0][0]} {rest[0][1]:.1f}" if rest else ""
            referee = f"; referee: {row['referee']}" if row.get("referee") else ""
            return best, (
                f"best {row.get('metric', 'score')} in the {kind} folder "
                f"race at {row['images']:,} {row.get('data', 'colour')} images ({score:.1f}{vs}"
                f"{referee}; {record['source']})"
            )
    if device != "cuda":
        return PRESET, "the CPU default until benchmarks/folder_race.py measures the CPU race"
    if n < FEW and imagenet:
        return PROJECTED, (
            f"no GPU race measured yet; under {FEW:,} images the Projected GAN paper "
            "(Sauer et al. 2021) converges fastest"
        )
    return PRESET, "no GPU race measured yet; the R3GAN paper's (Huang et al. 2024) baseline"


def recipe_for_folder(path: str | Path, device: str = "cpu", imagenet: bool = True) -> Recipe:
    """The preset and overrides for ``folder:path`` on ``device`` (cpu | cuda), with the reason in
    one line; ``imagenet``: whether the projected discriminator's Lite0 wheel is installed."""
    root = Path(path).expanduser()
    if not root.exists():
        raise GanforgeError(
            f"image folder {root} does not exist: check the path in data.source=folder:PATH"
        )
    if not root.is_dir():
        raise GanforgeError(f"--data folder:{path}: {root} is a file, not a folder of images")
    s = summarise(root)
    height, width = _shape(s)
    channels, looks_channels = channels_of(s)
    n = s.n_images
    preset, why_model = choose_preset(n, device, channels, height == width, imagenet)
    if n < FEW:
        augment = {"augment.policy": "diffaugment"}
        why_aug = f"DiffAugment (under {FEW:,} images)"
    elif n < MANY and preset.startswith("fastgan"):  # FastGAN's own, as the race trained it
        augment = {"augment.policy": "diffaugment"}
        why_aug = f"DiffAugment (FastGAN's, under {MANY:,} images)"
    elif n < MANY:
        augment = {"augment.policy": "ada"}
        why_aug = f"adaptive ADA (under {MANY:,} images)"
    else:
        augment = {"augment.policy": "none"}
        why_aug = f"flips only ({MANY:,} images or more)"
    size = height if height == width else [height, width]
    kind = {1: "grey", 3: "RGB", 4: "RGBA"}[channels]
    shape = f"{height} px" if height == width else f"{height}x{width} px (H x W)"
    looks = f"median {s.median_size[1]}x{s.median_size[0]}"
    if looks_channels:
        looks += f", {looks_channels}"
    reason = (
        f"recipe: {preset} at {shape} {kind} with {why_aug}: {n:,} images, {looks}; "
        f"{preset}: {why_model}"
    )
    overrides = {
        "data.source": f"folder:{path}",
        "data.resolution": size,
        "data.channels": channels,
        **augment,
        "description": reason,
    }
    return Recipe(preset, overrides, reason)


def source_channels(cfg: DataConfig) -> tuple[int, str]:
    """The channels of ``cfg.source``'s own images, for a model that takes the data as they are
    (``Task.channels_follow_data``): 1 when they are grey, else 3 (transparency composited onto
    ``data.background``). A folder is judged from the headers of a seeded sample (as the recipe
    is), another source from one loaded item's stored shape. Returns (channels, why, in a few
    words)."""
    scheme, argument = resolve(cfg.source)
    if scheme.name == "folder":
        s = summarise(Path(argument).expanduser())
        if 2 * s.grey_files > s.readable:
            return 1, f"{s.grey_files} of {s.readable} sampled files are grey"
        return 3, f"{s.readable - s.grey_files} of {s.readable} sampled files are in colour"
    with warnings.catch_warnings():  # the real load warns (e.g. a fallback split) once, later
        warnings.simplefilter("ignore", DataWarning)
        probe = load_data(dataclasses.replace(cfg, max_images=1, channels=3), kinds=("images",))
    stored = int(probe.report.get("original_shape", [3])[0])
    return (1, "its images are grey") if stored == 1 else (3, "its images are in colour")
