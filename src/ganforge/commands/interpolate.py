"""``ganforge interpolate``: a walk through latent space between two samples, as a strip or GIF.

    ganforge interpolate runs/<run> --from 12 --to 40 --steps 10 --slerp --out walk.png
    ganforge interpolate runs/<run> --from z.npy --to 40 --out walk.gif
    ganforge interpolate runs/<run> --from-text "a sandal" --to-text "an ankle boot" --out walk.png

An endpoint is a sample index of --seed (see ``ganforge sheet``) or a .npy latent, e.g. one saved
by ``ganforge invert --save-z``. The first and last frames are exactly those two samples. On a
class-conditional run each indexed end keeps its own class and the class walks from one to the
other (``explore/classes.py``); --label fixes one class for the whole walk, and a .npy end needs it.
On a text-to-image run, --from-text and --to-text walk between two captions at one latent (sample
--from of --seed, 0 by default): the generator's conditions are mixed linearly, GAN-INT's
interpolation of Reed et al. 2016 (``TextGenerator.caption_walk``).
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
from ganforge.commands.text_options import encode, text_model
from ganforge.errors import GanforgeError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "interpolate",
        help="walk between two latents (linear or spherical) as a PNG strip or animated GIF",
        description="Interpolate between two samples. Example: "
        "`ganforge interpolate runs/<run> --from 12 --to 40 --steps 10 --slerp --out walk.gif`.",
    )
    add_run_options(p)
    p.add_argument("--from", dest="start", help="sample index of --seed, or z.npy")
    p.add_argument("--to", dest="end", help="sample index of --seed, or z.npy")
    p.add_argument("--from-text", help="text-to-image runs: the caption the walk starts from")
    p.add_argument("--to-text", help="text-to-image runs: the caption the walk ends at")
    p.add_argument("--steps", type=int, default=10, help="frames including both ends (default 10)")
    p.add_argument("--slerp", action="store_true", help="spherical instead of linear interpolation")
    p.add_argument("--out", required=True, help="walk.png (a strip) or walk.gif (an animation)")
    p.add_argument("--frame-ms", type=int, default=100, help="GIF frame duration (default 100)")
    p.add_argument(
        "--scale", type=int, default=0, help="enlargement factor of the frames (default: auto)"
    )
    add_sampling_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Deferred: it loads torch, and `ganforge --help` / `ganforge presets` stay instant.
    from ganforge.explore import interpolate as I
    from ganforge.explore import latents as L
    from ganforge.explore.figure import auto_scale
    from ganforge.explore.outputs import check_output
    from ganforge.explore.sheet import class_name

    out = check_output(args.out, (".png", ".gif"))
    if args.frame_ms < 1:
        raise GanforgeError(f"--frame-ms {args.frame_ms} must be at least 1")
    if args.scale < 0:
        raise GanforgeError(f"--scale {args.scale} must be 0 (automatic) or a positive factor")
    if args.steps < 2:
        raise GanforgeError(f"--steps {args.steps} must be at least 2 (the two endpoints)")
    texts = (args.from_text, args.to_text)
    if any(t is not None for t in texts):
        if None in texts:
            raise GanforgeError("give both --from-text and --to-text (the walk's two captions)")
        if args.end is not None:
            raise GanforgeError("a caption walk keeps one latent: give --from (or none), not --to")
    elif args.start is None or args.end is None:
        raise GanforgeError("give --from and --to (sample indices or z.npy files)")
    loaded = open_run(args)
    require_images(loaded, "interpolate")
    if texts[0] is not None:
        return _caption_walk(args, loaded, out, texts)
    label = label_of(args, loaded)
    ends, classes = [], []
    for flag, spec in (("--from", args.start), ("--to", args.end)):
        picked = L.parse_latents(spec, args.seed, loaded.z_dim, args.truncation, flag)
        if len(picked.z) != 1:
            raise GanforgeError(
                f"{flag} {spec} holds {len(picked.z)} latents: give one index or file"
            )
        truncation_note(args, picked)
        y = L.labels_for(picked, loaded.num_classes, label, flag)
        ends.append(picked)
        classes.append(None if y is None else int(y[0]))
    frames = I.walk(
        loaded.G,
        ends[0].z[0],
        ends[1].z[0],
        args.steps,
        spherical=args.slerp,
        ya=classes[0],
        yb=classes[1],
        num_classes=loaded.num_classes,
    )
    names = [e.names[0] for e in ends]
    captions = names
    if loaded.num_classes:  # the class is part of what an end is
        names = [f"{n} ({class_name(y, loaded.class_names)})" for n, y in zip(names, classes)]
        captions = [
            f"{e.names[0]}\n{class_name(y, loaded.class_names)}" for e, y in zip(ends, classes)
        ]
    if out.suffix.lower() == ".gif":
        I.save_gif(
            out,
            frames,
            frame_ms=args.frame_ms,
            scale=args.scale or auto_scale(frames.shape[-1], 128),
        )
    else:
        I.save_strip(out, frames, *captions, scale=args.scale or None)
    kind = "spherical" if args.slerp else "linear"
    done(f"wrote {out}: {args.steps}-step {kind} walk from {names[0]} to {names[1]}")
    return 0


def _caption_walk(args: argparse.Namespace, loaded, out, texts: tuple[str, str]) -> int:
    """Frames from one caption to the other at the latent of --from (default sample 0)."""
    # Deferred: it loads torch, and `ganforge --help` / `ganforge presets` stay instant.
    from ganforge.explore import interpolate as I
    from ganforge.explore import latents as L
    from ganforge.explore.figure import auto_scale

    model = text_model(loaded, "interpolate")
    if any(not t.strip() for t in texts):
        raise GanforgeError("--from-text and --to-text must not be empty")
    ids = encode(model, list(texts))
    picked = L.parse_latents(args.start or "0", args.seed, model.z_dim, args.truncation, "--from")
    if len(picked.z) != 1:
        raise GanforgeError(f"--from {args.start} holds {len(picked.z)} latents: give one")
    frames = model.caption_walk(picked.z[0], ids[0], ids[1], args.steps)
    if out.suffix.lower() == ".gif":
        scale = args.scale or auto_scale(frames.shape[-1], 128)
        I.save_gif(out, frames, frame_ms=args.frame_ms, scale=scale)
    else:
        I.save_strip(out, frames, texts[0][:24], texts[1][:24], scale=args.scale or None)
    done(f"wrote {out}: {args.steps}-step walk from {texts[0]!r} to {texts[1]!r}")
    return 0


register_command("interpolate", register, uses=("sample",))
