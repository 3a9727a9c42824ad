"""``ganforge eval``: score a run's generator, or a folder of images, and record the protocol.

    ganforge eval runs/<run>                                  # defaults for the run's data set
    ganforge eval runs/<run> --metrics fd,kid,pr,dc --n 10000 --features inception
    ganforge eval --real folder:a --fake folder:b --features fmnist

A run is scored with its EMA generator against its data set (``ganforge.evaluation`` picks the
split and caches the reference statistics); a toy run gets mode coverage. The table goes to stdout
and the full result, protocol included, to ``RUN/eval/eval-<checkpoint>-<features>.json``; two
folders are written to ``eval-<fake>-vs-<real>-<features>.json`` in the current folder (``--json``
puts either elsewhere). Folders are compared at their native size: different sizes are an error
unless ``--resolution`` resizes both.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ganforge.commands.registry import register_command
from ganforge.errors import GanforgeError


def add_i2i_options(p: argparse.ArgumentParser) -> None:
    """The ``ganforge eval`` options only image-to-image runs take."""
    p.add_argument(
        "--direction",
        choices=["AtoB", "BtoA"],
        help="image-to-image runs: the direction scored (default: the run's own; CycleGAN: BtoA "
        "scores F)",
    )
    p.add_argument(
        "--fidelity-channels",
        choices=["auto", "y", "all"],
        help="image-to-image runs: PSNR/SSIM on the BT.601 luma (y) or on all channels; default "
        "auto: y for RGB super-resolution, as SR papers report, else all",
    )


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval",
        help="score a run's generator (FD, KID, IS, precision/recall, coverage) or image folders",
        description="Score a trained generator, or compare two image folders. Examples: "
        "`ganforge eval runs/<run>`, `ganforge eval runs/<run> --metrics fd,kid --n 10000`, "
        "`ganforge eval --real folder:a --fake folder:b --features fmnist`.",
    )
    p.add_argument("run", nargs="?", metavar="RUN", help="run folder (or a checkpoint file)")
    p.add_argument("--checkpoint", help="checkpoint in RUN (file name, path, or 'best')")
    p.add_argument(
        "--metrics",
        help="comma-separated: fd,kid,is,pr,dc,modes (default: all that fit the data)",
    )
    p.add_argument("--n", type=int, default=10_000, help="generated samples (default 10000)")
    p.add_argument(
        "--features",
        default="auto",
        help="auto (fmnist for Fashion-MNIST, mnist for MNIST, else inception) | fmnist | mnist "
        "| inception",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the samples (KID subsets and IS splits use torch-fidelity's fixed 2020)",
    )
    p.add_argument("--batch", type=int, default=None, help="batch size for sampling and features")
    p.add_argument("--no-ema", action="store_true", help="use the raw generator, not the EMA one")
    p.add_argument(
        "--json",
        type=Path,
        help="where to write the result (default: RUN/eval/eval-...json, or for two folders "
        "./eval-FAKE-vs-REAL-FEATURES.json)",
    )
    p.add_argument(
        "--real", help="real images: folder:PATH or a data set name (fashion-mnist, ...)"
    )
    p.add_argument("--fake", help="generated images: folder:PATH (no model needed)")
    p.add_argument("--split", help="split of the real data set (default: test; cifar10: train)")
    p.add_argument("--resolution", type=int, help="resize both folders to R x R (folder mode)")
    p.add_argument("--device", default="auto", help="device for the generator: auto | cpu | cuda")
    add_i2i_options(p)  # image-to-image runs: --direction, --fidelity-channels
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Imported when the command runs: building the parser imports no torch.
    from ganforge.evaluation import EvalOptions, format_table, jsonable

    options = EvalOptions(
        n=args.n,
        seed=args.seed,
        batch=args.batch,
        metrics=args.metrics,
        features=args.features,
        split=args.split,
        real=args.real,
        direction=getattr(args, "direction", None),
        fidelity_channels=getattr(args, "fidelity_channels", None),
    )
    if args.fake:
        if args.run:
            raise GanforgeError("give either RUN (score its generator) or --fake folder:PATH")
        # Deferred: it loads torch, and `ganforge --help` / `ganforge presets` stay instant.
        from ganforge.evaluation.folders import evaluate_folders

        result = evaluate_folders(args.fake, args.real, options, args.resolution, args.json)
    elif args.run:
        if args.resolution is not None:
            raise GanforgeError(
                "--resolution does not apply to a run (its images have the run's size): it is "
                "for two folders (--fake/--real); leave it out"
            )
        result = _eval_run(args, options)
    else:
        raise GanforgeError(
            "nothing to score: give a run folder (ganforge eval runs/<run>) "
            "or two folders (--real folder:A --fake folder:B)"
        )
    print(format_table(result["metrics"]))
    if result.get("json"):
        # Deferred: it loads torch, and `ganforge --help` / `ganforge presets` stay instant.
        from ganforge.images import atomic_write_bytes

        path = Path(result.pop("json"))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, (json.dumps(jsonable(result), indent=2) + "\n").encode())
        except OSError as e:
            raise GanforgeError(
                f"cannot write {path} ({e.strerror or e}); pass --json PATH"
            ) from None
        print(f"protocol {result['protocol']['hash']}; result written to {path}")
    return 0


def _note(line: str) -> None:
    """Notes go to stderr; what is scored against what, like the table, to stdout."""
    print(line, file=sys.stderr if line.startswith("note:") else sys.stdout)


def _eval_run(args: argparse.Namespace, options: Any) -> dict[str, Any]:
    """A run of any task, scored by its task's evaluator (``Task.evaluate``)."""
    # Deferred: it loads torch, and `ganforge --help` / `ganforge presets` stay instant.
    from ganforge.commands.generator_options import beside_run, stem_of
    from ganforge.evaluation import protocol_hash
    from ganforge.runs import load_run
    from ganforge.runtime.device import resolve_device

    task_options = {"direction": options.direction} if options.direction else {}
    run = load_run(
        args.run,
        args.checkpoint,
        ema=not args.no_ema,
        device=resolve_device(args.device),
        **task_options,
    )
    generator = "EMA" if run.used_ema else "raw"
    print(
        f"{run.run_dir} | {run.checkpoint.stem} | {run.cfg.model.task}, {generator} weights, "
        f"{run.images_seen:,} images seen"
    )
    result = run.task.evaluate(run, options, say=_note)
    protocol = result["protocol"]
    for note in protocol.get("notes", []):
        _note(f"note: {note}")
    for metric, reason in protocol.get("skipped", {}).items():
        _note(f"note: {metric} skipped: {reason}")
    protocol.update(run=str(run.run_dir), checkpoint=str(run.checkpoint))
    protocol["images_seen"] = run.images_seen
    protocol["hash"] = protocol_hash(protocol)
    # A read-only model (pretrained:, hf:, a model folder) is scored into the working folder.
    name = f"eval-{stem_of(run)}-{result.pop('name')}"
    return {
        "run": str(run.run_dir),
        "checkpoint": run.checkpoint.name,
        "images_seen": run.images_seen,
        "generator": generator.lower(),
        **result,
        "json": args.json or beside_run(run, "eval") / f"{name}.json",
    }


register_command("eval", register)
