"""``ganforge translate``: run a pix2pix or CycleGAN generator on image files or folders.

    ganforge translate runs/<run> photo.jpg labels/ --out out/              # the run's direction
    ganforge translate runs/<cyclegan-run> zebras/ --out horses/ --direction BtoA

Each input keeps its name (as PNG: ``out/<name>.png``); any size works (padded to what the network
needs and cropped back); grey, RGB, RGBA and 16-bit files are converted to the run's channels.
Unreadable files are listed and skipped (exit code 2 when any was).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ganforge.commands.registry import register_command
from ganforge.errors import GanforgeError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "translate",
        help="translate images with a pix2pix or CycleGAN run",
        description="Translate images. Example: "
        "`ganforge translate runs/<run> inputs/ --out out/ --direction BtoA`.",
    )
    add_io_options(p)
    p.add_argument(
        "--direction",
        choices=["AtoB", "BtoA"],
        help="AtoB or BtoA (default: the run's own; CycleGAN runs do both)",
    )
    p.set_defaults(func=run)


def add_io_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("run", metavar="RUN", help="run folder (or a checkpoint file in one)")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files and/or folders")
    p.add_argument("--out", required=True, help="output folder (upscale of one file: a .png)")
    p.add_argument("--checkpoint", help="checkpoint in RUN (file name, path, or 'best')")
    p.add_argument("--no-ema", action="store_true", help="use the raw generator, not the EMA one")
    p.add_argument("--device", default="cpu", help="cpu (default) | cuda | cuda:N | auto")


def run(args: argparse.Namespace) -> int:
    return process(args, direction=args.direction, tile=None)


def process(args: argparse.Namespace, direction: str | None, tile: int | None) -> int:
    """Shared by translate and upscale: open the run, then each input -> one PNG."""

    # Deferred: it loads torch, and `ganforge --help` / `ganforge presets` stay instant.
    import torch

    from ganforge.commands.generator_options import done
    from ganforge.images import save_png
    from ganforge.inference.translator import (
        collect_inputs,
        read_image,
        translate_tensor,
        upscale_tiled,
    )
    from ganforge.runs import load_run
    from ganforge.runtime.device import resolve_device

    files = collect_inputs(args.inputs)
    out = Path(args.out)
    single = tile is not None and len(files) == 1 and out.suffix.lower() == ".png"
    if single:
        if not out.parent.is_dir():
            raise GanforgeError(f"--out {out}: folder {out.parent} does not exist")
    elif out.suffix.lower() == ".png":
        raise GanforgeError(f"--out {out}: several inputs need an output folder, not a file")
    elif out.exists() and not out.is_dir():
        raise GanforgeError(f"--out {out} exists and is not a folder")
    options = {"direction": direction} if direction else {}
    device = resolve_device(args.device)
    run = load_run(args.run, args.checkpoint, ema=not args.no_ema, device=device, **options)
    tr = run.require(
        "translate" if tile is None else "upscale", command=f"`ganforge {args.command}`"
    )
    if not single:
        out.mkdir(exist_ok=True)
    failed: list[str] = []
    for f in files:
        try:
            x = torch.from_numpy(read_image(f, tr.channels, tr.cfg.data.background))[None]
            if tile is None:
                y = translate_tensor(tr, x, what=str(f))
            else:
                y = upscale_tiled(tr, x, tile, what=str(f))
        except GanforgeError as e:
            failed.append(str(e))
            continue
        save_png(out if single else out / f"{f.stem}.png", y[0].permute(1, 2, 0).numpy())
    weights = "EMA" if run.used_ema else "raw"
    done(
        f"wrote {len(files) - len(failed)} image(s) to {out} ({run.cfg.model.task} "
        f"{tr.direction}, {weights} weights of {run.checkpoint.name})"
    )
    for msg in failed:
        print(f"skipped: {msg}", file=sys.stderr)
    return 2 if failed else 0


register_command("translate", register, uses=("translate",))
