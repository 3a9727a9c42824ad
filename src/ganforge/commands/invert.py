"""``ganforge invert``: find the latent that reproduces an image (pixel + D-feature loss).

    ganforge invert runs/<run> photo.png --steps 500 --out inverted.png --save-z z.npy

The image is prepared as the run's data was (mode, centre crop, size; a warning says what changed).
The figure shows target | reconstruction; the reconstruction error goes to stdout; the latent
(--save-z) feeds ``ganforge arithmetic`` and ``ganforge interpolate``. A progress bar on stderr
shows the best error so far (not when stderr is not a terminal, or with --no-progress).
"""

from __future__ import annotations

import argparse
import sys

from ganforge.commands.generator_options import (
    add_run_options,
    done,
    label_of,
    open_run,
    require_images,
)
from ganforge.commands.registry import register_command
from ganforge.errors import GanforgeError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "invert",
        help="optimise a latent to reproduce an image; save it for arithmetic",
        description="GAN inversion. Example: "
        "`ganforge invert runs/<run> photo.png --steps 500 --out inverted.png --save-z z.npy`.",
    )
    add_run_options(p)
    p.add_argument("image", metavar="IMAGE", help="the image to reproduce (PNG, JPEG, ...)")
    p.add_argument("--steps", type=int, default=500, help="optimisation steps (default 500)")
    p.add_argument("--lr", type=float, default=0.05, help="Adam learning rate (default 0.05)")
    p.add_argument("--restarts", type=int, default=4, help="starting points optimised together")
    p.add_argument(
        "--feature-weight",
        type=float,
        default=0.1,
        help="weight of the discriminator-feature loss (0: pixels only; default 0.1)",
    )
    p.add_argument("--out", help="target | reconstruction figure (.png)")
    p.add_argument("--save-z", help="save the latent found (.npy)")
    p.add_argument("--seed", type=int, default=0, help="seed of the starting points")
    p.add_argument("--label", help="class of the image, for conditional runs")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (e.g. in CI logs)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Deferred: it loads torch, and `ganforge --help` / `ganforge presets` stay instant.
    from ganforge.data.sources.folder import parse_background
    from ganforge.explore.invert import comparison, invert, load_target
    from ganforge.explore.outputs import check_output, save_npy
    from ganforge.images import save_png

    if not args.out and not args.save_z:
        raise GanforgeError("say where the result goes: --out inverted.png and/or --save-z z.npy")
    out = check_output(args.out, (".png",)) if args.out else None
    if args.save_z:
        check_output(args.save_z, (".npy",), "--save-z")
    if args.steps < 0 or args.restarts < 1 or args.lr <= 0 or args.feature_weight < 0:
        raise GanforgeError("--steps and --feature-weight must be >= 0, --restarts >= 1, --lr > 0")
    loaded = open_run(args)
    require_images(loaded, "invert")
    label = label_of(args, loaded)
    if label is None and loaded.num_classes:
        raise GanforgeError("this run is class-conditional: give the image's class with --label")
    d = loaded.cfg.data
    target, notes = load_target(
        args.image, d.channels, d.resolution, parse_background(d.background)
    )
    for note in notes:
        print(f"ganforge: warning: {note}", file=sys.stderr)
    if args.feature_weight > 0 and not loaded.has_discriminator:
        # A shipped or exported model carries its generator alone (hub/folder.py).
        print(
            f"note: {args.run} ships no discriminator: inverting with the pixel loss only "
            "(--feature-weight 0)",
            file=sys.stderr,
        )
        args.feature_weight = 0.0
    D = loaded.build_discriminator().requires_grad_(False) if args.feature_weight > 0 else None
    result = invert(
        loaded.G,
        target,
        D=D,
        y=label,
        steps=args.steps,
        lr=args.lr,
        restarts=args.restarts,
        feature_weight=args.feature_weight,
        seed=args.seed,
        progress=not args.no_progress and sys.stderr.isatty(),
    )
    print(
        f"reconstruction error: MSE {result.mse:.5f} (PSNR {result.psnr:.2f} dB), "
        f"from {result.initial_mse:.5f} at the best starting sample"
    )
    if out:
        figure = comparison(target, result)
        save_png(out, figure)
        done(f"wrote {out}")
    if args.save_z:
        save_npy(args.save_z, result.z.numpy())
        done(f"wrote {args.save_z}: latent of size {loaded.z_dim}")
    return 0


register_command("invert", register, uses=("sample",))
