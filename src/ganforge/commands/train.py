"""``ganforge train``: train any task from a preset, a config file, a folder recipe or a run.

ganforge train                                   # DCGAN on the embedded Fashion-MNIST
ganforge train --preset wgangp-fashion-mnist --set train.images=2e6
ganforge train --data folder:~/sprites           # a recipe for the folder (data/recipe.py)
ganforge train --resume runs/<run>               # continues exactly
ganforge train --data folder:~/sprites --init pretrained:dcgan-fashion-mnist   # fine-tune

``--init RUN|pretrained:NAME|hf:USER/NAME[@REV]`` (``train.init``, train/init.py) starts from that
model's weights with fresh optimizers; without ``--preset`` the run takes the source's config
(its architecture, image size and channels, its training settings), with ``--data`` and ``--set``
on top.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ganforge.commands.registry import register_command
from ganforge.errors import GanforgeError


def register(sub: argparse._SubParsersAction) -> None:
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
    p.add_argument(
        "--init",
        metavar="MODEL",
        help="fine-tune: start from a run's, pretrained:NAME's or hf:USER/NAME's weights (fresh "
        "optimizers; the architecture must match; without --preset its config is the base)",
    )
    p.add_argument("--dry-run", action="store_true", help="print the resolved config and exit")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (e.g. in CI logs)")
    p.add_argument("--help-config", action="store_true", help="list every config key and exit")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Imported when training runs: building the parser imports no torch.
    from ganforge.config import (
        apply_overrides,
        config_from_dict,
        field_docs,
        load_config,
        load_run_config,
        parse_override,
        preset_dict,
    )
    from ganforge.data.recipe import recipe_for_folder
    from ganforge.tasks import check_config

    if args.help_config:
        for key, default, doc in field_docs():
            print(f"{key:28s} {default:22s} {doc}")
        return 0
    # --set values are read as YAML; --data, --out and --name are taken as written (YAML would
    # read "folder:" as a mapping). One mapping of dotted keys, later entries winning.
    overrides: dict[str, Any] = dict(parse_override(text) for text in args.overrides)
    literal = {
        "data.source": args.data,
        "out_dir": args.out,
        "name": args.name,
        "train.init": args.init,
    }
    overrides.update({k: v for k, v in literal.items() if v is not None})
    if args.no_progress:
        overrides["runtime.progress"] = False

    if args.resume:
        if args.init:
            raise GanforgeError("--resume continues a run's own weights: drop --init")
        if args.preset:
            raise GanforgeError("--resume takes the run's own config: drop --preset")
        if args.dry_run:
            # The same config resume trains with: the run's config.yaml plus the --set values.
            cfg = load_run_config(args.resume, overrides)
            check_config(cfg)
            print(cfg.to_yaml(), end="")
            return 0
        cfg = None
    elif args.preset is None and args.init:
        # Fine-tuning: the source's own config (architecture, size, channels) is the base.
        from ganforge.train.init import open_source

        tree = open_source(args.init).cfg.to_dict()
        # Where and how the source ran (its folder, threads, device) is not part of the model.
        tree.pop("runtime", None)
        tree.pop("out_dir", None)
        cfg = config_from_dict(apply_overrides(tree, overrides))
        check_config(cfg)
        if args.dry_run:
            print(cfg.to_yaml(), end="")
            return 0
    elif args.preset is None and args.data and args.data.strip().startswith("folder:"):
        # No preset for a folder: the recipe looks at the images and picks one (data/recipe.py).
        folder = args.data.strip().removeprefix("folder:").strip()
        if not folder:
            raise GanforgeError("--data folder: needs a path: use --data folder:/path/to/images")
        recipe = recipe_for_folder(folder, *_recipe_device(overrides))
        print(f"note: {recipe.reason}", file=sys.stderr)
        tree = apply_overrides(preset_dict(recipe.preset), recipe.overrides)
        cfg = config_from_dict(apply_overrides(tree, overrides))  # --set wins over the recipe
        check_config(cfg)
        if args.dry_run:
            print(cfg.to_yaml(), end="")
            return 0
    else:
        cfg = load_config(args.preset or "dcgan-fashion-mnist", overrides)
        if args.data and "data.channels" not in overrides:
            cfg = _channels_of_the_data(cfg, overrides, load_config, args.preset)
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


def _recipe_device(overrides: dict[str, Any]) -> tuple[str, bool]:
    """(the device type the run will train on, whether the Lite0 wheel is installed): what the
    folder recipe's choice depends on besides the images."""
    # Deferred: it loads torch, and `ganforge --help` / `ganforge presets` stay instant.
    import importlib.util

    from ganforge.backbones.efficientnet_lite import VARIANTS
    from ganforge.runtime.device import resolve_device

    device = resolve_device(str(overrides.get("runtime.device", "auto"))).type
    return device, importlib.util.find_spec(VARIANTS["lite0"].package) is not None


def _channels_of_the_data(cfg: Any, overrides: dict[str, Any], load_config, preset) -> Any:
    """A task that takes the data as they are (``Task.channels_follow_data``: the autoencoders)
    gets the channels of ``--data``'s images, grey or colour, unless ``data.channels`` is set."""
    # Deferred: it loads torch, and `ganforge --help` / `ganforge presets` stay instant.
    from ganforge.data.recipe import source_channels
    from ganforge.tasks import task_class

    if not task_class(cfg).channels_follow_data or cfg.data.is_toy:
        return cfg
    channels, why = source_channels(cfg.data)
    if channels == cfg.data.channels:
        return cfg
    print(
        f"note: data.channels={channels}: {why} (--set data.channels=N to choose)",
        file=sys.stderr,
    )
    return load_config(preset or "dcgan-fashion-mnist", {**overrides, "data.channels": channels})


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


register_command("train", register)
