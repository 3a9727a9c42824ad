"""``ganforge sheet``: numbered samples to pick exemplars from.

    ganforge sheet runs/<run> --n 100 --seed 7 --out sheet.png

The numbers are sample indices of the seed: ``ganforge arithmetic --seed 7 --a 3,18,52`` and
``ganforge interpolate --seed 7 --from 12 --to 40`` use exactly those images. On a
class-conditional run each number's class is written under it.
"""

from __future__ import annotations

import argparse

from ganforge.commands.generator_options import (
    add_run_options,
    add_sampling_options,
    done,
    label_of,
    open_run,
    require_images,
)
from ganforge.commands.registry import register_command
from ganforge.errors import GanforgeError

MAX_SHEET = 1024


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sheet",
        help="a numbered sample sheet (pick exemplars for arithmetic and interpolation)",
        description="Draw numbered samples. Example: "
        "`ganforge sheet runs/<run> --n 100 --seed 7 --out sheet.png`.",
    )
    add_run_options(p)
    p.add_argument("--n", type=int, default=100, help="number of samples (default 100)")
    p.add_argument("--start", type=int, default=0, help="index of the first sample (default 0)")
    p.add_argument("--cols", type=int, default=0, help="samples per row (default: square)")
    p.add_argument("--out", required=True, help="the sheet (.png)")
    add_sampling_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Deferred: it loads torch, and `ganforge --help` / `ganforge presets` stay instant.
    from ganforge.explore import sample as S
    from ganforge.explore.outputs import check_output
    from ganforge.explore.sheet import sheet
    from ganforge.images import save_png

    out = check_output(args.out, (".png",))
    if not 1 <= args.n <= MAX_SHEET:  # a sheet is read by eye; a larger one is a huge PNG
        raise GanforgeError(f"--n {args.n} must be between 1 and {MAX_SHEET} (use several --start)")
    if args.cols < 0:
        raise GanforgeError(f"--cols {args.cols} must be positive (or 0 for a square sheet)")
    loaded = open_run(args)
    require_images(loaded, "sheet")
    samples = S.draw(
        loaded.G,
        args.n,
        seed=args.seed,
        start=args.start,
        truncation=args.truncation,
        num_classes=loaded.num_classes,
        label=label_of(args, loaded),
    )
    figure = sheet(samples, cols=args.cols or None, class_names=loaded.class_names)
    save_png(out, figure)
    last = args.start + args.n - 1
    done(f"wrote {out}: samples {args.start}-{last} of seed {args.seed}")
    return 0


register_command("sheet", register, uses=("sample",))
