"""``ganforge eval``: score a run's generator, or a folder of images, and record the protocol.

    ganforge eval runs/<run>                                  # defaults for the run's data set
    ganforge eval runs/<run> --metrics fd,kid,pr,dc --n 10000 --features inception
    ganforge eval --real folder:a --fake folder:b --features fmnist

A run is scored with its EMA generator against its data set (``ganforge.evaluation`` picks the
split and caches the reference statistics); a toy run gets mode coverage. The table goes to stdout
and the full result, protocol included, to ``RUN/eval/eval-<checkpoint>-<features>.json``; two
folders are written to ``eval-<fake>-vs-<real>-<features>.json`` in the current folder (``--json``
puts either elsewhere). Folders are compared at their native size: different sizes are an error
unless ``--resolution`` resizes both.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from ganforge.commands.translate import add_eval_options
from ganforge.errors import GanforgeError

GRAY_MODES = frozenset({"1", "L", "LA", "I", "I;16", "I;16L", "I;16B", "I;16N", "F"})


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval",
        help="score a run's generator (FD, KID, IS, precision/recall, coverage) or image folders",
        description="Score a trained generator, or compare two image folders. Examples: "
        "`ganforge eval runs/<run>`, `ganforge eval runs/<run> --metrics fd,kid --n 10000`, "
        "`ganforge eval --real folder:a --fake folder:b --features fmnist`.",
    )
    p.add_argument("run", nargs="?", metavar="RUN", help="run folder (or a checkpoint file)")
    p.add_argument("--checkpoint", help="checkpoint in RUN (file name, path, or 'best')")
    p.add_argument(
        "--metrics",
        help="comma-separated: fd,kid,is,pr,dc,modes (default: all that fit the data)",
    )
    p.add_argument("--n", type=int, default=10_000, help="generated samples (default 10000)")
    p.add_argument(
        "--features",
        default="auto",
        help="auto (fmnist for Fashion-MNIST, mnist for MNIST, else inception) | fmnist | mnist "
        "| inception",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the samples (KID subsets and IS splits use torch-fidelity's fixed 2020)",
    )
    p.add_argument("--batch", type=int, default=None, help="batch size for sampling and features")
    p.add_argument("--no-ema", action="store_true", help="use the raw generator, not the EMA one")
    p.add_argument(
        "--json",
        type=Path,
        help="where to write the result (default: RUN/eval/eval-...json, or for two folders "
        "./eval-FAKE-vs-REAL-FEATURES.json)",
    )
    p.add_argument(
        "--real", help="real images: folder:PATH or a data set name (fashion-mnist, ...)"
    )
    p.add_argument("--fake", help="generated images: folder:PATH (no model needed)")
    p.add_argument("--split", help="split of the real data set (default: test; cifar10: train)")
    p.add_argument("--resolution", type=int, help="resize both folders to R x R (folder mode)")
    p.add_argument("--device", default="auto", help="device for the generator: auto | cpu | cuda")
    add_eval_options(p)  # image-to-image runs: --direction, --fidelity-channels
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.n < 1:
        raise GanforgeError(f"--n must be positive, got {args.n}")
    from ganforge.i2i_eval import check_i2i_options

    check_i2i_options(args)  # --direction etc. without an image-to-image run: one-line error
    if args.fake:
        if args.run:
            raise GanforgeError("give either RUN (score its generator) or --fake folder:PATH")
        result = _eval_folders(args)
    elif args.run:
        result = _eval_run(args)
    else:
        raise GanforgeError(
            "nothing to score: give a run folder (ganforge eval runs/<run>) "
            "or two folders (--real folder:A --fake folder:B)"
        )
    from ganforge.evaluation import format_table, jsonable

    print(format_table(result["metrics"]))
    if result.get("json"):
        from ganforge.images import atomic_write_bytes

        path = Path(result.pop("json"))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, (json.dumps(jsonable(result), indent=2) + "\n").encode())
        except OSError as e:
            raise GanforgeError(
                f"cannot write {path} ({e.strerror or e}); pass --json PATH"
            ) from None
        print(f"protocol {result['protocol']['hash']}; result written to {path}")
    return 0


def _note(lines: list[str]) -> None:
    for w in lines:
        print(f"note: {w}", file=sys.stderr)


# --------------------------------------------------------------------------- a run


def _eval_run(args: argparse.Namespace) -> dict[str, Any]:
    import dataclasses

    from ganforge import evaluation as ev
    from ganforge.i2i_eval import eval_command, is_i2i_run
    from ganforge.runs import load_run
    from ganforge.train.runtime import resolve_device

    if is_i2i_run(args.run):  # pix2pix / CycleGAN / SRGAN: held-out PSNR, SSIM, FD, cycle error
        return eval_command(args)
    run = load_run(
        args.run, args.checkpoint, ema=not args.no_ema, device=resolve_device(args.device)
    )
    data_cfg = run.cfg.data
    if args.real:
        data_cfg = dataclasses.replace(data_cfg, source=args.real)
    source = data_cfg.source
    ckpt = run.checkpoint.stem
    generator = "EMA" if run.used_ema else "raw"
    print(f"{run.run_dir} | {ckpt} | {generator} generator, {run.images_seen:,} images seen")

    if ev.is_toy(source):
        if args.metrics and ev.parse_metrics(args.metrics) != ["modes"]:
            raise GanforgeError("toy runs are scored by mode coverage only: use --metrics modes")
        result = ev.score_toy(run.G, source, data_cfg.toy_std, args.n, args.seed, args.batch)
        features = "toy"
        print(f"{args.n:,} samples, {source} modes (std {data_cfg.toy_std:g})")
    else:
        from ganforge.metrics.features import load_extractor

        features = ev.resolve_features(args.features, source)
        metrics = ev.parse_metrics(args.metrics) if args.metrics else None
        metrics = metrics or ev.default_metrics(source, features)
        # Cheap checks first: no sampling or feature extraction for a request that must fail.
        ev.check_modes(metrics, features, source)
        ev.check_sample_count(metrics, args.n, ev.FEATURE_DIMS[features], "--n")
        extractor = load_extractor(features)
        real = ev.load_real(data_cfg, args.split)
        _note(real.warnings)
        print(
            f"{args.n:,} samples vs {real.name} {real.split} split ({len(real.images):,} images), "
            f"features {features} {extractor.weights_sha256[:12]}"
        )
        result = ev.score_generator(
            run.G, real, extractor, metrics, args.n, args.seed, args.batch, run.num_classes
        )
    result["protocol"].update(
        run=str(run.run_dir), checkpoint=str(run.checkpoint), images_seen=run.images_seen
    )
    result["protocol"]["hash"] = ev.protocol_hash(result["protocol"])
    name = f"eval-{ckpt}-{features}"
    if args.real or args.split:
        # Other real data than the default: a file of its own, the default result stays.
        other = "-".join(x for x in (args.real, args.split) if x)
        name += "-vs-" + "".join(c if c.isalnum() else "-" for c in other)
    default = run.run_dir / "eval" / f"{name}.json"
    return {
        "run": str(run.run_dir),
        "checkpoint": run.checkpoint.name,
        "images_seen": run.images_seen,
        "generator": generator.lower(),
        **result,
        "json": args.json or default,
    }


# --------------------------------------------------------------------------- two folders


def _folder_path(spec: str, flag: str) -> Path:
    if not spec.startswith("folder:") or not spec.removeprefix("folder:").strip():
        raise GanforgeError(f"{flag} takes folder:PATH, got {spec!r}")
    path = Path(spec.removeprefix("folder:").strip()).expanduser()
    if not path.is_dir():
        raise GanforgeError(f"{flag} {path} is not a folder of images")
    return path


def native_format(path: Path, flag: str) -> tuple[int, int]:
    """(side, channels) shared by every image of the folder, from the file headers only."""
    from PIL import Image

    from ganforge.data.folder import scan_folder

    files, _, _ = scan_folder(path)
    if not files:
        raise GanforgeError(f"{flag} folder {path} holds no images")
    sizes: Counter[tuple[int, int]] = Counter()
    gray = True
    for f in files:  # header reads only: Pillow decodes pixels lazily
        try:
            with Image.open(f) as img:
                sizes[img.size] += 1
                gray = gray and img.mode in GRAY_MODES
        except Exception:  # unreadable: skipped here, reported by the reader
            continue
    if not sizes:
        raise GanforgeError(f"{flag} folder {path}: none of its {len(files)} files can be read")
    if len(sizes) > 1:
        common = ", ".join(f"{w}x{h}: {c}" for (w, h), c in sizes.most_common(3))
        raise GanforgeError(
            f"{flag} folder {path} holds images of {len(sizes)} sizes ({common}); pass "
            "--resolution R to resize them all to R x R"
        )
    ((w, h),) = sizes
    if w != h:
        raise GanforgeError(
            f"{flag} images in {path} are {w}x{h}, not square; pass --resolution R to resize and "
            "centre-crop them to R x R"
        )
    return w, 1 if gray else 3


def _read_folder(path: Path, side: int, channels: int) -> Any:
    from ganforge.data.folder import load_folder

    data = load_folder(path, side, channels)
    _note(data.report.get("warnings", []))
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


def _eval_folders(args: argparse.Namespace) -> dict[str, Any]:
    from ganforge import evaluation as ev
    from ganforge.config import DataConfig
    from ganforge.metrics.features import load_extractor
    from ganforge.metrics.reference import sample_indices

    if not args.real:
        raise GanforgeError(
            "--fake needs --real: folder:PATH or a data set name (fashion-mnist, mnist, cifar10)"
        )
    fake_dir = _folder_path(args.fake, "--fake")
    if args.resolution is not None:
        side, c_fake = args.resolution, None
    else:
        side, c_fake = native_format(fake_dir, "--fake")
    if args.real.startswith("folder:"):
        real_dir = _folder_path(args.real, "--real")
        if args.resolution is not None:
            c_real = None
        else:
            real_side, c_real = native_format(real_dir, "--real")
            if real_side != side:
                raise GanforgeError(
                    f"--fake images are {side}x{side} but --real images are "
                    f"{real_side}x{real_side}; pass --resolution R to resize both to R x R"
                )
        # Gray promotes to RGB (exact: three equal planes); --resolution reads both as RGB.
        channels = max(c_fake or 3, c_real or 3)
        fake = _read_folder(fake_dir, side, channels)
        data = _read_folder(real_dir, side, channels)
        real = ev.as_real(data.images, None, f"folder:{real_dir.name}", "all")
    else:
        # The data set is brought to the fakes' size and channels, as training would.
        channels = c_fake or 3
        fake = _read_folder(fake_dir, side, channels)
        cfg = DataConfig(source=args.real, resolution=side, channels=channels)
        real = ev.load_real(cfg, args.split)
        _note(real.warnings)
    fake_images = fake.images

    features = ev.resolve_features(args.features, real.name)
    metrics = ev.parse_metrics(args.metrics) if args.metrics else None
    metrics = metrics or ev.default_metrics(real.name, features)
    ev.check_modes(metrics, features, real.name)
    dim = ev.FEATURE_DIMS[features]
    for flag, count in (("--fake", len(fake_images)), ("--real", len(real.images))):
        if "fid" in metrics and min(count, args.n) <= dim:
            raise GanforgeError(
                f"{flag} has {min(count, args.n):,} images to use; the Frechet distance on "
                f"{dim}-d {features} features needs more than {dim} per side (10,000 for "
                "comparable numbers): add images or drop fd from --metrics"
            )
    json_path = args.json or folder_json_path(fake_dir, args.real, args.split, features)
    _check_writable(json_path)  # before the feature extraction, not after it
    extractor = load_extractor(features)
    print(
        f"{args.fake} ({len(fake_images):,} images) vs {args.real} ({len(real.images):,} images, "
        f"{real.split}), features {features} {extractor.weights_sha256[:12]}"
    )
    reference = ev.reference_for(real, extractor, args.n, args.seed, args.batch)
    idx = sample_indices(len(fake_images), args.n, args.seed + 1)
    result = ev.score_images(fake_images[idx], reference, extractor, metrics, args.seed, args.batch)
    result["protocol"].update(fake=str(fake_dir), fake_images_sha256=ev.content_id(fake_images))
    result["protocol"]["hash"] = ev.protocol_hash(result["protocol"])
    return {"real": args.real, "fake": args.fake, **result, "json": json_path}
