"""The ``ganforge`` command line: one sub-command per job.

Bad input raises GanforgeError, printed here as one line on stderr with exit code 2; so are a
usage error (argparse's, made one line by ``_Parser``) and a failure of the environment (a full
disk, a read-only folder: ``errors.environment_error``). Each
sub-command imports its heavy modules only when it runs, so ``ganforge presets`` is instant.
``--plugin MODULE`` (before the command) imports a module that registers plug-in tasks; installed
packages can declare theirs as ``ganforge.tasks`` entry points instead.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable
from importlib import resources
from typing import NoReturn

from ganforge.commands import (
    ablate,
    arithmetic,
    export,
    interpolate,
    invert,
    report,
    sample,
    sheet,
    translate,
    upscale,
)
from ganforge.commands import eval as eval_command
from ganforge.commands import memorization as memorization_command
from ganforge.errors import DataWarning, GanforgeError, environment_error
from ganforge.version import __version__


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error as one ``ganforge: error:`` line and exit code 2 (argparse
    prints the usage block first; ``--help`` still shows it)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"ganforge: error: {_one_line(message)} (see `{self.prog} --help`)\n")


def _one_line(text: object) -> str:
    """A message as one line, whatever line breaks a value quoted in it holds."""
    return " ".join(str(text).splitlines())


def _add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train a GAN from a preset (default: dcgan-fashion-mnist)",
        description="Train a GAN. Examples: `ganforge train`, "
        "`ganforge train --data folder:~/sprites` (picks a recipe for the folder), "
        "`ganforge train --preset wgangp-fashion-mnist --set train.images=2e6`, "
        "`ganforge train --resume runs/2026-11-22-101500-dcgan-fashion-mnist`.",
    )
    p.add_argument(
        "--preset", default=None, help="preset name (see `ganforge presets`) or a YAML file"
    )
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config field, e.g. --set train.images=2e6 (repeatable)",
    )
    p.add_argument("--data", help="shortcut for --set data.source=..., e.g. folder:/path/to/images")
    p.add_argument("--out", help="parent folder for the run folder (default: runs)")
    p.add_argument("--name", help="run name (default: the preset's)")
    p.add_argument("--resume", metavar="RUN", help="continue RUN from its newest checkpoint")
    p.add_argument("--dry-run", action="store_true", help="print the resolved config and exit")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (e.g. in CI logs)")
    p.add_argument("--help-config", action="store_true", help="list every config key and exit")
    p.set_defaults(func=_run_train)


def _run_train(args: argparse.Namespace) -> int:
    # Imported when training runs: building the parser imports no torch.
    from ganforge.config import (
        apply_overrides,
        config_from_dict,
        field_docs,
        load_config,
        load_run_config,
        preset_dict,
    )
    from ganforge.data.recipe import recipe_for_folder
    from ganforge.tasks import check_config

    if args.help_config:
        for key, default, doc in field_docs():
            print(f"{key:28s} {default:22s} {doc}")
        return 0
    overrides = list(args.overrides)
    if args.data:
        overrides.append(f"data.source={args.data}")
    if args.out:
        overrides.append(f"out_dir={args.out}")
    if args.name:
        overrides.append(f"name={args.name}")
    if args.no_progress:
        overrides.append("runtime.progress=false")

    if args.resume:
        if args.preset:
            raise GanforgeError("--resume takes the run's own config: drop --preset")
        if args.dry_run:
            # The same config resume trains with: the run's config.yaml plus the --set values.
            cfg = load_run_config(args.resume, overrides)
            check_config(cfg)
            print(cfg.to_yaml(), end="")
            return 0
        cfg = None
    elif args.preset is None and args.data and args.data.strip().startswith("folder:"):
        # No preset for a folder: the recipe looks at the images and picks one (data/recipe.py).
        recipe = recipe_for_folder(args.data.strip().removeprefix("folder:").strip())
        print(f"note: {recipe.reason}", file=sys.stderr)
        tree = apply_overrides(preset_dict(recipe.preset), recipe.overrides)
        cfg = config_from_dict(apply_overrides(tree, overrides))  # --set wins over the recipe
        check_config(cfg)
        if args.dry_run:
            print(cfg.to_yaml(), end="")
            return 0
    else:
        cfg = load_config(args.preset or "dcgan-fashion-mnist", overrides)
        check_config(cfg)  # the task's checks: before any data is read or folder made
        if args.dry_run:
            print(cfg.to_yaml(), end="")
            return 0
    # Deferred: it loads torch, and `ganforge --help` / `ganforge presets` stay instant.
    from ganforge.train.trainer import Trainer

    try:  # reads (maybe downloads) the data and builds the networks; the run folder comes later
        trainer = Trainer.resume(args.resume, overrides) if cfg is None else Trainer(cfg)
    except KeyboardInterrupt:
        print("\ninterrupted before training started; nothing was written", file=sys.stderr)
        return 130
    return _fit(trainer)


def _fit(trainer) -> int:
    """Train, printing on rank 0 only (under torchrun every process runs this)."""

    def say(text: str) -> None:
        if trainer.is_main:
            print(text, file=sys.stderr)

    shown: list[str] | None = None  # the notes said so far; None before the run started

    def announce(run_dir) -> None:  # once the run folder holds its first files
        nonlocal shown
        if trainer.images_seen:
            say(f"resuming {run_dir} at {trainer.images_seen:,} images")
        else:
            say(f"run folder: {run_dir}")
        if trainer.launch.distributed:
            say(f"{trainer.launch.world_size} processes, {trainer.device.type}")
        shown = [*trainer.data.report.get("warnings", []), *trainer.notes]
        for w in shown:
            say(f"note: {w}")

    # Deferred: it loads torch, and `ganforge --help` / `ganforge presets` stay instant.
    from ganforge.report.html import report_on_finish

    on_finish = report_on_finish(str(trainer.device)) if trainer.cfg.train.report else None
    try:
        trainer.fit(on_finish, on_start=announce)
    except KeyboardInterrupt:
        if shown is None:  # while the first files were written: they are gone again
            say("\ninterrupted before training started; nothing was written")
            return 130
        say(
            f"\ninterrupted at {trainer.images_seen:,} images; checkpoint saved. "
            f"Continue with: ganforge train --resume {trainer.run_dir}"
        )
        return 130
    finally:
        # Notes that came later (e.g. a model that failed to compile at its first step); none
        # when the run never started: its one error line is then all that is said.
        for w in trainer.notes if shown is not None else []:
            if w not in shown:
                say(f"note: {w}")
    say(f"done: {trainer.run_dir}")
    return 0


def _add_presets(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("presets", help="list the presets with one-line descriptions")
    p.set_defaults(func=_run_presets)


def _run_presets(args: argparse.Namespace) -> int:
    # Deferred: only this command reads YAML, so `ganforge --help` skips PyYAML and the config.
    import yaml

    from ganforge.config import preset_names

    for name in preset_names():
        text = (resources.files("ganforge") / "presets" / f"{name}.yaml").read_text()
        desc = (yaml.safe_load(text) or {}).get("description", "")
        print(f"{name:28s} {desc}")
    return 0


def _add_tasks(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "tasks", help="list the model families (model.task values), plug-ins included"
    )
    p.set_defaults(func=_run_tasks)


def _run_tasks(args: argparse.Namespace) -> int:
    # Deferred: it loads torch, and `ganforge --help` / `ganforge presets` stay instant.
    from ganforge.tasks import TASKS

    for name, cls in TASKS.items():
        doc = (cls.__doc__ or "").strip().splitlines()
        where = "" if cls.__module__.startswith("ganforge.") else f" [plug-in: {cls.__module__}]"
        print(f"{name:12s} {doc[0] if doc else cls.__name__}{where}")
    return 0


# Each entry adds one sub-command; later commands (eval, sample, ...) register here.
COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_train,
    _add_presets,
    _add_tasks,
]
COMMANDS += [eval_command.register, memorization_command.register]
COMMANDS += [sample.register, interpolate.register, sheet.register, arithmetic.register]
COMMANDS += [ablate.register, invert.register, export.register, report.register]
COMMANDS += [translate.register, upscale.register]  # image-to-image runs


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ganforge", description="Train, evaluate, explore and ship GANs.")
    parser.add_argument("--version", action="version", version=f"ganforge {__version__}")
    parser.add_argument(
        "--plugin",
        action="append",
        default=[],
        metavar="MODULE",
        help="import MODULE first, e.g. one that registers a plug-in task (repeatable)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``ganforge ARGV``; returns the exit code (0, 2 for any error of input or environment,
    130 for Ctrl-C, 141 for a closed pipe)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help and --version (0), or a usage error already printed (2)
        return e.code if isinstance(e.code, int) else 2
    if not getattr(args, "func", None):
        parser.print_help()
        print("ganforge: error: give a command (see `ganforge --help`)", file=sys.stderr)
        return 2
    try:
        with warnings.catch_warnings():
            # Data warnings are also in the data report, which commands print as "note:" lines.
            warnings.simplefilter("ignore", DataWarning)
            if args.plugin or args.command not in ("presets",):
                # Imported here: `ganforge presets` and `--help` stay free of torch.
                from ganforge.tasks import load_plugins

                load_plugins(args.plugin)
            return int(args.func(args) or 0)
    except GanforgeError as e:
        print(f"ganforge: error: {_one_line(e)}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`ganforge presets | head`): not an error of ours, no traceback.
        # Later writes to the closed stdout would raise again at exit: point it at /dev/null.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as e:  # a full disk, a read-only folder, no permission: the environment's
        error = environment_error(e)
        if error is None:
            raise
        print(f"ganforge: error: {_one_line(error)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
