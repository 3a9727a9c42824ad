"""Compare two folders of images (or a folder with a data set): ``ganforge eval --fake folder:A
--real folder:B``. No model is involved; the protocol is that of ``generator.py`` (reference
statistics cached by content hash, fakes subsampled with their own seed stream).

Folders are compared at their native size, the most common size of their images: images of
other sizes (or not square) are resized on reading (short side, Lanczos, centre square kept), and
the protocol says how many (``resized_on_read``). Both sides must share that size unless
``resolution`` resizes both (and, then, are read as RGB); grey folders promote to RGB when the
other side is colour (exact: three equal planes). Transparency (RGBA, LA, palette with a
transparent colour) is composited onto white on reading, and the protocol says so (``rgba``).

The feature network is lite1 (ImageNet EfficientNet-Lite1, offline) unless the real side is a data
set with its own (fmnist, mnist) or ``--features`` says otherwise. Below its minimum per side FD is
left out of the default metrics with a note (KID and the rest are scored), or refused in one line
when asked for by name (``protocol.drop_fd_if_too_few``).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from ganforge.config import DataConfig
from ganforge.data.sources.folder import load_folder, scan_folder
from ganforge.errors import GanforgeError
from ganforge.evaluation.generator import (
    as_real,
    content_id,
    load_real,
    reference_for,
    score_images,
)
from ganforge.evaluation.options import EvalOptions
from ganforge.evaluation.protocol import (
    check_modes,
    default_metrics,
    drop_fd_if_too_few,
    features_note,
    parse_metrics,
    protocol_hash,
    resolve_features,
)
from ganforge.metrics.features import WHITE, alpha_protocol, load_extractor
from ganforge.metrics.reference import sample_indices

GRAY_MODES = frozenset({"1", "L", "LA", "I", "I;16", "I;16L", "I;16B", "I;16N", "F"})
ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})
Say = Callable[[str], None]


def _folder_path(spec: str, flag: str) -> Path:
    if not spec.startswith("folder:") or not spec.removeprefix("folder:").strip():
        raise GanforgeError(f"{flag} takes folder:PATH, got {spec!r}")
    path = Path(spec.removeprefix("folder:").strip()).expanduser()
    if not path.is_dir():
        raise GanforgeError(f"{flag} {path} is not a folder of images")
    return path


@dataclass
class FolderFormat:
    """What a folder's file headers say: the size it is read at, grey or colour, transparency."""

    side: int
    channels: int  # 1 if every image is grey, else 3
    alpha: bool  # some image has transparency (composited onto white on reading)
    resized: str | None = None  # how many images are read at another size than their own


def native_format(path: Path, flag: str) -> FolderFormat:
    """The folder's format from the file headers only: the side of its most common size (its
    short side, if not square); images of other sizes are resized on reading, and ``resized``
    says how many."""
    files, _, _ = scan_folder(path)
    if not files:
        raise GanforgeError(f"{flag} folder {path} holds no images")
    sizes: Counter[tuple[int, int]] = Counter()
    gray, alpha = True, False
    for f in files:  # header reads only: Pillow decodes pixels lazily
        try:
            with Image.open(f) as img:
                sizes[img.size] += 1
                gray = gray and img.mode in GRAY_MODES
                alpha = alpha or img.mode in ALPHA_MODES or "transparency" in img.info
        except Exception:  # unreadable: skipped here, reported by the reader
            continue
    if not sizes:
        raise GanforgeError(f"{flag} folder {path}: none of its {len(files)} files can be read")
    # The most common size; among equally common ones the largest (least upsampling).
    (w, h), _ = max(sizes.items(), key=lambda item: (item[1], min(item[0])))
    side = min(w, h)
    total, other = sum(sizes.values()), sum(c for s, c in sizes.items() if s != (side, side))
    resized = None
    if other:
        common = ", ".join(f"{sw}x{sh}: {c:,}" for (sw, sh), c in sizes.most_common(3))
        resized = (
            f"{other:,} of {total:,} images are not {side}x{side} ({common}); read at "
            f"{side}x{side}: short side resized (Lanczos), centre square kept"
        )
    return FolderFormat(side, 1 if gray else 3, alpha, resized)


def _read_folder(path: Path, side: int, channels: int, say: Say) -> Any:
    data = load_folder(path, side, channels)
    for w in data.report.get("warnings", []):
        say(f"note: {w}")
    return data


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "._" else "-" for c in text).strip("-.") or "x"


def folder_json_path(fake_dir: Path, real: str, split: str | None, features: str) -> Path:
    """./eval-<fake folder>-vs-<real folder or data set[-split]>-<features>.json"""
    if real.startswith("folder:"):
        other = Path(real.removeprefix("folder:").strip()).expanduser().resolve().name
    else:
        other = real
    if split:
        other += f"-{split}"
    return Path(f"eval-{_slug(fake_dir.resolve().name)}-vs-{_slug(other)}-{features}.json")


def _check_writable(path: Path) -> None:
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # the first existing ancestor: the one mkdir will write into
    if not os.access(folder, os.W_OK):
        raise GanforgeError(f"cannot write {path}: {folder} is not writable; pass --json PATH")


def evaluate_folders(
    fake_spec: str,
    real_spec: str | None,
    options: EvalOptions,
    resolution: int | None = None,
    json_path: Path | None = None,
    say: Say = print,
) -> dict[str, Any]:
    """``--fake folder:A`` scored against ``--real`` (folder:B or a data set) -> the result dict,
    with ``json``: where the command writes it (checked writable before any work)."""
    options.refuse(
        "direction",
        "fidelity_channels",
        why="is for image-to-image runs (pix2pix, CycleGAN, SRGAN)",
    )
    if not real_spec:
        raise GanforgeError(
            "--fake needs --real: folder:PATH or a data set name (fashion-mnist, mnist, cifar10)"
        )
    fake_dir = _folder_path(fake_spec, "--fake")
    formats = {"fake": native_format(fake_dir, "--fake")}  # file headers only
    if resolution is not None:
        side, c_fake = resolution, None
    else:
        side, c_fake = formats["fake"].side, formats["fake"].channels
    if real_spec.startswith("folder:"):
        real_dir = _folder_path(real_spec, "--real")
        formats["real"] = native_format(real_dir, "--real")
        if resolution is not None:
            c_real = None
        else:
            real_side, c_real = formats["real"].side, formats["real"].channels
            if real_side != side:
                raise GanforgeError(
                    f"--fake images are {side}x{side} but --real images are "
                    f"{real_side}x{real_side}; pass --resolution R to resize both to R x R"
                )
        # Gray promotes to RGB (exact: three equal planes); --resolution reads both as RGB.
        channels = max(c_fake or 3, c_real or 3)
        fake = _read_folder(fake_dir, side, channels, say)
        data = _read_folder(real_dir, side, channels, say)
        real = as_real(data.images, None, f"folder:{real_dir.name}", "all")
    else:
        # The data set is brought to the fakes' size and channels, as training would.
        channels = c_fake or 3
        fake = _read_folder(fake_dir, side, channels, say)
        cfg = DataConfig(source=real_spec, resolution=side, channels=channels)
        real = load_real(cfg, options.split)
        for w in real.warnings:
            say(f"note: {w}")
    fake_images = fake.images
    # --resolution resizes every image on purpose; without it, say which ones were resized.
    resized = {} if resolution else {f"--{k}": f.resized for k, f in formats.items() if f.resized}
    for which, text in resized.items():
        say(f"note: {which} {text}")

    features = resolve_features(options.features, real.name)
    if options.features in (None, "", "auto") and (line := features_note(features, real.name)):
        say(line)
    explicit = bool(options.metrics)
    metrics = parse_metrics(options.metrics) if explicit else default_metrics(real.name, features)
    check_modes(metrics, features, real.name)
    n = options.n
    per_side = min(len(fake_images), len(real.images), n)
    metrics, note = drop_fd_if_too_few(metrics, per_side, features, explicit, "images per side")
    if note:
        say(note)
    json_path = json_path or folder_json_path(fake_dir, real_spec, options.split, features)
    _check_writable(json_path)  # before the feature extraction, not after it
    extractor = load_extractor(features)
    say(
        f"{fake_spec} ({len(fake_images):,} images) vs {real_spec} ({len(real.images):,} images, "
        f"{real.split}), features {features} {extractor.weights_sha256[:12]}"
    )
    reference = reference_for(real, extractor, n, options.seed, options.batch)
    idx = sample_indices(len(fake_images), n, options.seed + 1)
    result = score_images(
        fake_images[idx], reference, extractor, metrics, options.seed, options.batch
    )
    protocol = result["protocol"]
    protocol.update(fake=str(fake_dir), fake_images_sha256=content_id(fake_images))
    if any(f.alpha for f in formats.values()):
        # Reading composites transparency onto white (load_folder's default background).
        protocol["rgba"] = alpha_protocol(WHITE) + ", on reading the folder"
    if resized:
        protocol["resized_on_read"] = resized
    protocol["hash"] = protocol_hash(protocol)
    return {"real": real_spec, "fake": fake_spec, **result, "json": json_path}
