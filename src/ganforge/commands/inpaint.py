"""``ganforge inpaint``: fill the missing pixels of images with an inpainting run.

    ganforge inpaint runs/<run> photo.png --mask mask.png --out restored.png
    ganforge inpaint runs/<run> photos/ --masks masks/ --out restored/     # paired by file stem

In a mask, white means missing (any image mode; grey and anti-aliased edges are thresholded at
50 %, transparent pixels are known: ganforge/masks/files.py). Any size: the image is padded to
the network's multiple, run whole or, above ``--tile`` px, in tiles whose margin covers the
receptive field, and cropped back; every known pixel is copied from the input exactly.

Every input is checked before anything is written: a mask of another size than its image, a mask
that is not an image, an all-black mask (nothing to fill), an all-white one (nothing known to fill
from), a folder without a mask for some image (named), a run that cannot inpaint: one line, exit
2, no output. Each output PNG is written atomically.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ganforge.commands.generator_options import add_run_options
from ganforge.commands.registry import register_command
from ganforge.errors import GanforgeError

DEFAULT_TILE = (
    1024  # inference.inpainter.DEFAULT_TILE, repeated: `ganforge --help` imports no torch
)
SHOWN = 5  # images named when masks are missing


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "inpaint",
        help="fill the missing (white) pixels of images with an inpainting run",
        description="Inpaint images. Examples: `ganforge inpaint runs/<run> photo.png --mask "
        "mask.png --out restored.png`, `ganforge inpaint runs/<run> photos/ --masks masks/ "
        "--out restored/` (masks paired with images by file stem; white = missing).",
    )
    add_run_options(p)
    p.add_argument("input", metavar="IMAGE", help="an image file, or a folder of images")
    p.add_argument("--mask", help="the mask of IMAGE (white = missing), same size")
    p.add_argument("--masks", help="folder of masks for a folder IMAGE, one per image by file stem")
    p.add_argument("--out", required=True, help="output .png (one image) or folder")
    p.add_argument(
        "--tile",
        type=int,
        default=DEFAULT_TILE,
        help=f"images with a side above this many px run in tiles (default {DEFAULT_TILE})",
    )
    p.set_defaults(func=run)


def pairs(image: Path, mask: str | None, masks: str | None) -> list[tuple[Path, Path]]:
    """(image, mask) files named on the command line; one-line errors for what does not fit."""
    # Deferred: data.sources.folder imports PIL, and `ganforge --help` stays instant.
    from ganforge.inference.translator import collect_inputs

    if not image.exists():
        raise GanforgeError(f"{image} does not exist")
    if image.is_dir():
        if mask is not None:
            raise GanforgeError(
                f"{image} is a folder: give its masks' folder with --masks DIR, not --mask"
            )
        if masks is None:
            raise GanforgeError(f"{image} is a folder: give its masks with --masks DIR")
        mask_dir = Path(masks)
        if not mask_dir.is_dir():
            raise GanforgeError(f"--masks {mask_dir} is not a folder")
        images = collect_inputs([str(image)])
        found: dict[str, Path] = {}
        for f in sorted(mask_dir.iterdir()):
            if f.is_file() and not f.name.startswith("."):
                if f.stem in found:
                    raise GanforgeError(
                        f"--masks {mask_dir} holds two masks for {f.stem}: {found[f.stem].name} "
                        f"and {f.name}; keep one"
                    )
                found[f.stem] = f
        lacking = [f.name for f in images if f.stem not in found]
        if lacking:
            more = f" and {len(lacking) - SHOWN} more" if len(lacking) > SHOWN else ""
            raise GanforgeError(
                f"--masks {mask_dir} has no mask for {len(lacking)} image(s): "
                f"{', '.join(lacking[:SHOWN])}{more} (a mask has its image's file stem, e.g. "
                f"{Path(lacking[0]).stem}.png)"
            )
        return [(f, found[f.stem]) for f in images]
    if masks is not None:
        raise GanforgeError(f"{image} is one file: give its mask with --mask FILE, not --masks")
    if mask is None:
        raise GanforgeError(f"give the mask of {image} with --mask FILE (white = missing)")
    if not Path(mask).is_file():
        raise GanforgeError(f"--mask {mask} does not exist")
    return [(image, Path(mask))]


def run(args: argparse.Namespace) -> int:
    # Deferred: it loads torch, and `ganforge --help` / `ganforge presets` stay instant.
    import torch

    from ganforge.commands.generator_options import done
    from ganforge.images import save_png
    from ganforge.inference.inpainter import inpaint_image
    from ganforge.inference.translator import read_image
    from ganforge.masks.files import read_mask
    from ganforge.runs import load_run
    from ganforge.runtime.device import resolve_device

    if args.tile < 1:
        raise GanforgeError(f"--tile {args.tile} must be positive")
    todo = pairs(Path(args.input), args.mask, args.masks)
    out = Path(args.out)
    single = Path(args.input).is_file() and out.suffix.lower() == ".png"
    if single:
        if not out.parent.is_dir():
            raise GanforgeError(f"--out {out}: folder {out.parent} does not exist")
    elif out.suffix.lower() == ".png":
        raise GanforgeError(f"--out {out}: a folder of images needs an output folder, not a file")
    elif out.exists() and not out.is_dir():
        raise GanforgeError(f"--out {out} exists and is not a folder")
    run = load_run(
        args.run, args.checkpoint, ema=not args.no_ema, device=resolve_device(args.device)
    )
    model = run.require("inpaint", command="`ganforge inpaint`")
    background = model.cfg.data.background

    def read(image: Path, mask: Path) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.from_numpy(read_image(image, model.channels, background))  # (C, H, W) uint8
        return x, read_mask(mask, tuple(x.shape[-2:]))  # checked against the image

    for image, mask in todo:  # every pair checked before the first output is written
        read(image, mask)
    if not single:
        out.mkdir(parents=True, exist_ok=True)
    for image, mask in todo:
        x, m = read(image, mask)
        y = inpaint_image(model, x, m, args.tile, what=str(mask))
        save_png(out if single else out / f"{image.stem}.png", y.permute(1, 2, 0).numpy())
    weights = "EMA" if run.used_ema else "raw"
    done(
        f"wrote {len(todo)} image(s) to {out} ({run.cfg.model.task}, {weights} weights of "
        f"{run.checkpoint.name})"
    )
    return 0


register_command("inpaint", register, uses=("inpaint",))
