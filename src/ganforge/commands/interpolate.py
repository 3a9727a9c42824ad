"""``ganforge interpolate``: a walk through latent space between two samples, as a strip or GIF.

    ganforge interpolate runs/<run> --from 12 --to 40 --steps 10 --slerp --out walk.png
    ganforge interpolate runs/<run> --from z.npy --to 40 --out walk.gif

An endpoint is a sample index of --seed (see ``ganforge sheet``) or a .npy latent, e.g. one saved
by ``ganforge invert --save-z``. The first and last frames are exactly those two samples.
A class-conditional run keeps one class along the walk: --label, or the --from sample's class.
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
from ganforge.errors import GanforgeError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "interpolate",
        help="walk between two latents (linear or spherical) as a PNG strip or animated GIF",
        description="Interpolate between two samples. Example: "
        "`ganforge interpolate runs/<run> --from 12 --to 40 --steps 10 --slerp --out walk.gif`.",
    )
    add_run_options(p)
    p.add_argument("--from", dest="start", required=True, help="sample index of --seed, or z.npy")
    p.add_argument("--to", dest="end", required=True, help="sample index of --seed, or z.npy")
    p.add_argument("--steps", type=int, default=10, help="frames including both ends (default 10)")
    p.add_argument("--slerp", action="store_true", help="spherical instead of linear interpolation")
    p.add_argument("--out", required=True, help="walk.png (a strip) or walk.gif (an animation)")
    p.add_argument("--frame-ms", type=int, default=100, help="GIF frame duration (default 100)")
    p.add_argument("--scale", type=int, default=0, help="GIF enlargement factor (default: auto)")
    add_sampling_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ganforge.explore import interpolate as I
    from ganforge.explore import latents as L
    from ganforge.explore.figure import auto_scale
    from ganforge.explore.outputs import check_output
    from ganforge.explore.sample import generate

    out = check_output(args.out, (".png", ".gif"))
    if args.frame_ms < 1:
        raise GanforgeError(f"--frame-ms {args.frame_ms} must be at least 1")
    loaded = open_run(args)
    require_images(loaded, "interpolate")
    ends = []
    for flag, spec in (("--from", args.start), ("--to", args.end)):
        z, _ = L.parse_latents(spec, args.seed, loaded.z_dim, args.truncation)
        if len(z) != 1:
            raise GanforgeError(f"{flag} {spec} holds {len(z)} latents: give one index or file")
        ends.append(z[0])
    label = label_of(args, loaded)
    if label is None and loaded.num_classes and args.start.isdigit():
        label = int(args.start) % loaded.num_classes  # keep the --from sample's own class
    elif label is None and loaded.num_classes:
        raise GanforgeError("this run is class-conditional: give --label for a walk from a .npy")
    z = I.path(ends[0], ends[1], args.steps, spherical=args.slerp)  # (steps, z_dim)
    y = L.labels(range(args.steps), loaded.num_classes, label)
    frames = generate(loaded.G, z, y)
    if out.suffix.lower() == ".gif":
        scale = args.scale or auto_scale(frames.shape[-1], 128)
        I.save_gif(out, frames, frame_ms=args.frame_ms, scale=scale)
    else:
        I.save_strip(out, frames)
    kind = "spherical" if args.slerp else "linear"
    done(f"wrote {out}: {args.steps}-step {kind} walk from {args.start} to {args.end}")
    return 0
