"""``ganforge ablate``: feature-map surgery, DCGAN section 6.3.1 (Radford et al. 2016).

    ganforge ablate runs/<run> --layer 2 --channels 5,17 --out before_after.png
    ganforge ablate runs/<run> --layer 2 --region x0,y0,x1,y1 --top 8 --out before_after.png

Zeroes channels of the output of upsampling block --layer (0 = coarsest) for the same latents and
shows before / after / where it changed. With --region the channels are the --top most active
inside that box of the image (pixels, x1 and y1 exclusive).
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


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "ablate",
        help="zero feature maps of a generator layer and show before/after (DCGAN section 6.3.1)",
        description="Feature-map surgery. Examples: "
        "`ganforge ablate runs/<run> --layer 2 --channels 5,17 --out before_after.png`, "
        "`ganforge ablate runs/<run> --layer 2 --region 8,8,24,24 --top 8 --out ba.png`.",
    )
    add_run_options(p)
    p.add_argument("--layer", type=int, required=True, help="upsampling block, 0 = the coarsest")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--channels", help="channels to zero, e.g. 5,17")
    which.add_argument("--region", help="x0,y0,x1,y1: zero the --top channels most active there")
    p.add_argument("--top", type=int, default=8, help="channels chosen by --region (default 8)")
    p.add_argument("--n", type=int, default=8, help="samples shown (default 8)")
    p.add_argument("--out", required=True, help="the before/after figure (.png)")
    add_sampling_options(p)
    p.set_defaults(func=run)


def _channels(text: str) -> list[int]:
    try:
        channels = sorted({int(c) for c in text.split(",") if c.strip()})
    except ValueError:
        raise GanforgeError(
            f"--channels {text!r} must be comma-separated integers, e.g. 5,17"
        ) from None
    if not channels:  # zeroing nothing would draw a figure with no change at all
        raise GanforgeError(f"--channels {text!r} names no channel: give some, e.g. 5,17")
    return channels


def run(args: argparse.Namespace) -> int:
    # Deferred: it loads torch, and `ganforge --help` / `ganforge presets` stay instant.
    from ganforge.explore import ablate as A
    from ganforge.explore import latents as L
    from ganforge.explore.outputs import check_output
    from ganforge.images import save_png

    out = check_output(args.out, (".png",))
    if args.n < 1:
        raise GanforgeError(f"--n {args.n} must be at least 1")
    loaded = open_run(args)
    require_images(loaded, "ablate")
    G = loaded.G
    index = range(args.n)
    z = L.latents(args.seed, index, loaded.z_dim, args.truncation)
    y = L.labels(index, loaded.num_classes, label_of(args, loaded))
    infos = A.describe_layers(G, y)
    region = None
    if args.channels is not None:
        channels = _channels(args.channels)
        A.check_selection(infos, args.layer, channels)
    else:
        A.check_selection(infos, args.layer)
        size = loaded.cfg.data.resolution
        region = A.parse_region(args.region, size)
        channels = A.top_channels(G, args.layer, z, y, region, args.top)
    before, after = A.before_after(G, args.layer, channels, z, y)
    figure = A.figure(before, after, region)
    save_png(out, figure)
    info = infos[args.layer]
    listed = ",".join(map(str, channels))
    print(
        f"zeroed channels {listed} of layer {args.layer} ({info.channels} ch, {info.size}x{info.size})"
    )
    changed = float((after - before).abs().mean() / 2)
    done(f"wrote {out}: mean absolute change {changed:.4f} (pixels in [0, 1])")
    return 0


register_command("ablate", register, uses=("sample",))
