"""``ganforge sample``: draw samples from a trained generator.

    ganforge sample runs/<run> --n 64 --grid grid.png [--truncation 0.7] [--label 3] [--seed 1]
    ganforge sample runs/<run> --n 10000 --out samples.npz       # or --out a_folder/ of PNGs
    ganforge sample runs/<run> --text "a dark coat" --n 16 --grid coats.png   # text-to-image runs
    ganforge sample runs/<run> --text-file captions.txt --out samples/        # caption i % count

Sample i of a seed is the same image whatever --n is (``explore/latents.py``), so
``--start 64 --n 64`` continues where the first 64 stopped.
"""

from __future__ import annotations

import argparse

from ganforge.commands.generator_options import (
    add_run_options,
    add_sampling_options,
    done,
    label_of,
    open_run,
)
from ganforge.commands.registry import register_command
from ganforge.commands.text_options import add_text_options, captions_of, encode, text_model
from ganforge.errors import GanforgeError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sample",
        help="draw samples from a trained generator (grid PNG, .npz or a folder of PNGs)",
        description="Draw samples from a run's (EMA) generator. Examples: "
        "`ganforge sample runs/<run> --n 64 --grid grid.png`, "
        "`ganforge sample runs/<run> --n 10000 --out samples.npz`.",
    )
    add_run_options(p)
    p.add_argument("--n", type=int, default=64, help="number of samples (default 64)")
    p.add_argument("--start", type=int, default=0, help="index of the first sample (default 0)")
    p.add_argument("--grid", help="write the samples as one grid image (.png)")
    p.add_argument("--out", help="write them as .npz (images, z, y, index, seed), .png or a folder")
    p.add_argument("--batch-size", type=int, default=256, help="samples per forward pass")
    add_sampling_options(p)
    add_text_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Deferred: it loads torch, and `ganforge --help` / `ganforge presets` stay instant.
    import torch

    from ganforge.explore import outputs
    from ganforge.explore import sample as S

    if not args.grid and not args.out:
        raise GanforgeError("say where the samples go: --grid grid.png and/or --out samples.npz")
    if args.grid:
        outputs.check_output(args.grid, (".png",), "--grid")
    loaded = open_run(args)
    image = not loaded.cfg.data.is_toy
    if args.grid and not image:
        raise GanforgeError("a toy run makes 2-D points, not images: use --out samples.npz")
    if args.out:
        S.check_destination(args.out, image)
    captions = captions_of(args)
    condition = None
    if captions is not None:  # the text use: sample i follows caption i (cycling)
        model = text_model(loaded, "sample")
        ids = encode(model, captions)
        condition = ids[torch.arange(args.start, args.start + args.n) % len(captions)]
    samples = S.draw(
        loaded.G,
        args.n,
        seed=args.seed,
        start=args.start,
        truncation=args.truncation,
        num_classes=loaded.num_classes,
        label=label_of(args, loaded),
        batch_size=args.batch_size,
        condition=condition,
    )
    if captions is not None:
        samples.text = [captions[int(i) % len(captions)] for i in samples.index]
    what = f"{args.n} samples (seed {args.seed}, {'EMA' if loaded.used_ema else 'raw'} generator)"
    if args.grid:
        S.save(samples, args.grid)
        done(f"wrote {args.grid}: {what}")
    if args.out:
        S.save(samples, args.out)
        done(f"wrote {args.out}: {what}")
    return 0


register_command("sample", register, uses=("sample",))
