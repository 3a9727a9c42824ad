"""Options shared by the commands that use a trained generator (sample, sheet, interpolate, ...).

They all open a run the same way (``runs.load_run``: EMA weights unless ``--no-ema``) and name
samples the same way (``--seed``, ``--truncation``, ``--label``), so a sample number means the same
image in every command.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from ganforge.errors import GanforgeError


def add_run_options(p: argparse.ArgumentParser, device: bool = True) -> None:
    p.add_argument("run", metavar="RUN", help="run folder (or a checkpoint file in one)")
    p.add_argument("--checkpoint", help="checkpoint in RUN (file name, path, or 'best')")
    p.add_argument("--no-ema", action="store_true", help="use the raw generator, not the EMA one")
    if device:
        p.add_argument("--device", default="cpu", help="cpu (default) | cuda | cuda:N | auto")


def add_sampling_options(p: argparse.ArgumentParser, seed_help: str = "") -> None:
    p.add_argument(
        "--seed", type=int, default=0, help=seed_help or "seed; sample i of a seed never changes"
    )
    p.add_argument(
        "--truncation",
        type=float,
        help="truncate latents to [-t, t] (e.g. 0.7): less variety, more typical samples",
    )
    p.add_argument(
        "--label", help="class (number or name) for conditional runs (default: classes cycle)"
    )


def open_run(args: argparse.Namespace, device: str | None = None) -> Any:
    """The LoadedRun of a model that can ``sample``, named on the command line (errors are
    one-line GanforgeErrors; a run without that use is refused naming the uses it has)."""
    # Imported when the command runs, so that building the parser (`ganforge --help`) imports
    # no torch.
    from ganforge.runs import load_run
    from ganforge.runtime.device import resolve_device

    dev = resolve_device(device or getattr(args, "device", "cpu"))
    run = load_run(args.run, args.checkpoint, ema=not args.no_ema, device=dev)
    run.require("sample", command=f"`ganforge {getattr(args, 'command', None) or 'sample'}`")
    return run


def beside_run(run: Any, name: str) -> Path:
    """Where a command writes ``name`` for ``run`` by default: in the run folder, or, for a
    read-only model (``pretrained:``, ``hf:``, a model folder), in the working folder."""
    if run.read_only:
        return Path(name)
    return Path(run.run_dir) / name


def stem_of(run: Any) -> str:
    """The checkpoint's name in output file names; a place's own name for a read-only model."""
    if run.read_only:
        return re.sub(r"[^A-Za-z0-9._-]+", "-", run.place.strip("/")).strip("-.") or "model"
    return run.checkpoint.stem


def label_of(args: argparse.Namespace, run: Any) -> int | None:
    # Deferred: it loads torch, and `ganforge --help` / `ganforge presets` stay instant.
    from ganforge.explore.latents import resolve_label

    return resolve_label(getattr(args, "label", None), run.num_classes, run.class_names)


def require_images(run: Any, command: str) -> None:
    """Commands that draw pictures refuse the 2-D toy runs with a clear message."""

    if run.cfg.data.is_toy:
        raise GanforgeError(
            f"`ganforge {command}` needs an image generator; {run.run_dir} is a 2-D toy run "
            "(use `ganforge sample RUN --out points.npz`)"
        )


def truncation_note(args: argparse.Namespace, picked: Any) -> None:
    """Say once per option that --truncation did not touch latents read from .npy files."""
    told = getattr(args, "_told_truncation", False)
    if getattr(args, "truncation", None) is not None and picked.from_files and not told:
        note("--truncation applies to sample indices only; .npy latents are used as saved")
        args._told_truncation = True


def note(message: str) -> None:
    """A one-line remark on stderr, in the format of the other commands' notes."""
    print(f"note: {message}", file=sys.stderr)


def done(message: str) -> None:
    """Progress notes go to stderr; stdout is kept for results."""
    print(message, file=sys.stderr)
