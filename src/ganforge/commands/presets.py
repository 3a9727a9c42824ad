"""``ganforge presets``: every preset with its one-line description (no torch imported)."""

from __future__ import annotations

import argparse
from importlib import resources

from ganforge.commands.registry import register_command


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("presets", help="list the presets with one-line descriptions")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Deferred: only this command reads YAML, so `ganforge --help` skips PyYAML and the config.
    import yaml

    from ganforge.config import preset_names

    for name in preset_names():
        text = (resources.files("ganforge") / "presets" / f"{name}.yaml").read_text()
        desc = (yaml.safe_load(text) or {}).get("description", "")
        print(f"{name:28s} {desc}")
    return 0


register_command("presets", register)
