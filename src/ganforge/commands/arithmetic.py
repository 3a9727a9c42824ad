"""``ganforge arithmetic``: latent vector arithmetic, DCGAN section 6.3.2 (Radford et al. 2016).

    ganforge sheet runs/<run> --n 100 --seed 7 --out sheet.png      # pick exemplars
    ganforge arithmetic runs/<run> --seed 7 --a 3,18,52 --b 7,9,60 --c 11,24,90 --out result.png

Each concept is the mean latent of its exemplars: sample indices of --seed or .npy latents (e.g.
from ``ganforge invert --save-z``), mixed freely. The figure shows the exemplars, their means, and
mean(a) - mean(b) + mean(c) with neighbours made by small uniform noise. On a class-conditional
run each indexed exemplar keeps its own class (the one the sheet shows) and the classes take part
in the arithmetic; --label fixes one class for every image, and .npy exemplars need it.
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
    truncation_note,
)
from ganforge.commands.registry import register_command
from ganforge.errors import GanforgeError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "arithmetic",
        help="latent arithmetic a - b + c on exemplar means (DCGAN section 6.3.2)",
        description="Vector arithmetic on latents. Example: `ganforge arithmetic runs/<run> "
        "--seed 7 --a 3,18,52 --b 7,9,60 --c 11,24,90 --out result.png`.",
    )
    add_run_options(p)
    for name in ("a", "b", "c"):
        p.add_argument(
            f"--{name}", required=True, help=f"exemplars of concept {name}: indices or .npy files"
        )
    p.add_argument("--out", required=True, help="the figure (.png)")
    p.add_argument("--neighbours", type=int, default=8, help="noisy neighbours shown (default 8)")
    p.add_argument("--noise", type=float, default=0.25, help="neighbour noise scale (default 0.25)")
    p.add_argument("--save-z", help="also save the result latent (.npy)")
    add_sampling_options(p, "seed the exemplar indices refer to (as in `ganforge sheet --seed`)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Deferred: it loads torch, and `ganforge --help` / `ganforge presets` stay instant.
    from ganforge.explore import latents as L
    from ganforge.explore.arithmetic import arithmetic
    from ganforge.explore.outputs import check_output, save_npy
    from ganforge.images import save_png

    out = check_output(args.out, (".png",))
    if args.save_z:
        check_output(args.save_z, (".npy",), "--save-z")
    if not 0 <= args.neighbours <= 64:
        raise GanforgeError(f"--neighbours {args.neighbours} must be between 0 and 64")
    if not 0 <= args.noise < float("inf"):  # also refuses nan
        raise GanforgeError(f"--noise {args.noise} must be a non-negative number, e.g. 0.25")
    loaded = open_run(args)
    require_images(loaded, "arithmetic")
    label = label_of(args, loaded)
    picked = []
    for flag, spec in (("--a", args.a), ("--b", args.b), ("--c", args.c)):
        p = L.parse_latents(spec, args.seed, loaded.z_dim, args.truncation, flag)
        truncation_note(args, p)
        picked.append((p, L.labels_for(p, loaded.num_classes, label, flag)))
    result = arithmetic(
        loaded.G,
        *(p.z for p, _ in picked),
        labels=tuple(y for _, y in picked) if loaded.num_classes else None,
        num_classes=loaded.num_classes,
        n_neighbours=args.neighbours,
        noise=args.noise,
        seed=args.seed,
        names=tuple(p.names for p, _ in picked),
        class_names=loaded.class_names,
    )
    save_png(out, result.figure)
    if args.save_z:
        save_npy(args.save_z, result.z.numpy())
    done(f"wrote {out}: a - b + c from {sum(len(p.z) for p, _ in picked)} exemplars")
    return 0


register_command("arithmetic", register, uses=("sample",))
