"""``ganforge dedup``: near-duplicate images of a source, by the DCGAN paper's semantic hash.

    ganforge dedup folder:~/sprites --out dups/               # trains a small autoencoder first
    ganforge dedup fashion-mnist --model runs/<ae-run> --out dups/ --radius 3
    ganforge train --data folder:~/sprites --set data.exclude=dups/groups.json   # the cleaned set

Encodes every image of SOURCE with an autoencoder run (``--model``, any run that can ``encode``;
without it, one is trained on SOURCE first into ``OUT/autoencoder``), binarises the codes
(``--threshold``: 0, the paper's ReLU > 0, or ``median``), and groups exact duplicates (always),
hash collisions and codes within ``--radius`` bits. Writes ``OUT/groups.json`` (the groups by item
id: file paths relative to the folder, or ``fashion-mnist/train#12345``; ``data.exclude`` reads it)
and ``OUT/groups.png`` (the largest groups). The method and its cost: ``explore/dedup.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ganforge.commands.registry import register_command
from ganforge.errors import GanforgeError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "dedup",
        help="find duplicate and near-duplicate images of a data source (JSON + contact sheet)",
        description="Group the duplicates and near duplicates of SOURCE by the semantic hash of "
        "an autoencoder (Radford et al. 2016, sec. 4.1.1). Examples: `ganforge dedup "
        "folder:~/sprites --out dups/`, `ganforge dedup fashion-mnist --model runs/<ae-run> "
        "--out dups/`; then `ganforge train --data folder:~/sprites --set "
        "data.exclude=dups/groups.json`.",
    )
    p.add_argument("source", metavar="SOURCE", help="folder:PATH, fashion-mnist, cifar10, ...")
    p.add_argument("--out", required=True, help="a new (or empty) folder for the results")
    p.add_argument(
        "--model",
        metavar="RUN",
        help="an autoencoder run (model.task=autoencoder, or any run that can encode); default: "
        "train one on SOURCE first, into OUT/autoencoder",
    )
    p.add_argument("--checkpoint", help="checkpoint in RUN (file name, path, or 'best')")
    p.add_argument("--no-ema", action="store_true", help="use RUN's raw weights, not its EMA")
    p.add_argument(
        "--radius",
        type=int,
        help="group codes within this Hamming distance (default: 2%% of the code's bits, 10 of "
        "512; 0: exact hash collisions only, the paper's)",
    )
    p.add_argument(
        "--threshold",
        default="0",
        help="a code unit's bit is on above this (default 0: the ReLU is on, the paper's), or "
        "median (each unit's median over SOURCE)",
    )
    p.add_argument("--split", default="train", help="split of a canonical set (default train)")
    p.add_argument(
        "--ae-images",
        type=int,
        help="without --model: images the autoencoder trains on (default: 100 passes over "
        "SOURCE, from 128,000 to 768,000)",
    )
    p.add_argument("--force", action="store_true", help="write into an --out that is not empty")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    p.add_argument("--no-progress", action="store_true", help="no progress bar while training")
    p.set_defaults(func=run)


def _note(text: str) -> None:
    print(f"note: {text}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    # Deferred: it loads torch, and `ganforge --help` / `ganforge presets` stay instant.
    from ganforge.config import DataConfig
    from ganforge.data.recipe import source_channels
    from ganforge.explore import dedup as D
    from ganforge.images import atomic_write_bytes, save_png
    from ganforge.runs import load_run
    from ganforge.runtime.device import resolve_device

    out = Path(args.out).expanduser()
    D.check_out(out, args.force)  # 1. everything the command line decides, before any work
    threshold = D.parse_threshold(args.threshold)
    if args.radius is not None and args.radius < 0:
        raise GanforgeError(f"--radius {args.radius} must be from 0 to the code's bits")
    if args.model and args.ae_images is not None:
        raise GanforgeError(
            "--ae-images sets the autoencoder dedup trains: leave it out with --model"
        )
    if args.ae_images is not None and args.ae_images < 1:
        raise GanforgeError(f"--ae-images {args.ae_images} must be a positive number of images")
    device = resolve_device(args.device)

    if args.model:  # 2. the autoencoder: the user's run, checked against the source
        loaded = D.open_encoder(args.model, args.checkpoint, not args.no_ema, device)
        model = loaded.model
        if (code := getattr(model, "code_dim", None)) is not None:
            D.check_radius(args.radius, code)  # else once the codes are made
        shape = D.encoded_shape(loaded)
        cfg, data = D.load_source(args.source, args.split, shape)
        native, _ = D.native_channels(cfg, data)
        D.check_channels(shape, native, args.source, loaded.run_dir)
        if note := D.resized_note(cfg, data):
            _note(note)
        info = {
            "run": str(Path(loaded.run_dir).resolve()),
            "checkpoint": loaded.checkpoint.name,
            "ema": loaded.used_ema,
            "trained_by_dedup": False,
        }
    else:
        D.check_radius(args.radius, D.DEDUP_AE["autoencoder.code"])
        channels, why = source_channels(DataConfig(source=args.source, split=args.split))
        cfg, data = D.load_source(args.source, args.split, (channels, D.RESOLUTION, D.RESOLUTION))
        images = args.ae_images or D.autoencoder_images(len(data))
        ae_cfg = D.autoencoder_config(cfg, out, images, args.device)
        model = None
    for w in data.report.get("warnings", []):
        _note(w)
    D.check_not_inside(out, cfg)
    c, h, w = tuple(data.images.shape[1:])
    with D.staged_outputs(out) as tmp:
        if model is None:  # 3. no --model: train one on the source, a run folder in OUT
            code = ae_cfg.autoencoder.code
            _note(
                f"no --model: training an autoencoder on {args.source} first ({len(data):,} "
                f"images at {h}x{w}, {c} channel{'s' * (c > 1)}: {why}; MLP {c * h * w}-{code}-"
                f"{c * h * w} on images centred by mass, {images:,} images seen), into "
                f"{out / D.AE_FOLDER} (reuse it with --model)"
            )
            D.train_autoencoder(ae_cfg, data, tmp / D.AE_FOLDER, not args.no_progress)
            loaded = load_run(tmp / D.AE_FOLDER, device=device)
            model = loaded.model
            info = {
                "run": str(out.resolve() / D.AE_FOLDER),
                "checkpoint": loaded.checkpoint.name,
                "ema": loaded.used_ema,
                "trained_by_dedup": True,
            }
        found = D.find_groups(model, data.images, args.radius, threshold)  # 4. hash and group
        info.update(code=found.bits.n_bits, centred=getattr(model, "center", None), shape=[c, h, w])
        doc = D.document(cfg, data, found, info)
        atomic_write_bytes(tmp / D.JSON_NAME, (json.dumps(doc, indent=1) + "\n").encode())
        sheet = D.contact_sheet(data.images, found.groups, data.item_ids())
        if sheet is not None:
            save_png(tmp / D.SHEET_NAME, sheet)
        elif (out / D.SHEET_NAME).exists():  # --force: an older sheet would describe old groups
            (out / D.SHEET_NAME).unlink()
    summary = doc["summary"]
    on = doc["settings"]["bits_on_per_image"]
    print(
        f"encoded {len(data):,} images ({c}x{h}x{w}) into {found.bits.n_bits}-bit codes in "
        f"{found.encode_s:.1f} s ({on:g} bits on per image; threshold {threshold})"
    )
    print(
        f"Hamming radius {found.radius}: {found.candidates:,} candidate pairs checked, "
        f"{found.search_s:.1f} s"
    )
    print(
        f"{summary['groups']:,} groups ({summary['exact_groups']:,} of identical pixels), "
        f"{summary['images_in_groups']:,} images: {summary['left_out']:,} would be left out"
    )
    wrote = f"{out / D.JSON_NAME}" + (f" and {out / D.SHEET_NAME}" if sheet is not None else "")
    print(f"wrote {wrote}")
    print(f"train without them: --set data.exclude={out / D.JSON_NAME}")
    return 0


register_command("dedup", register, uses=("encode",))
