"""``ganforge tasks``: the model families (``model.task`` values), plug-ins included."""

from __future__ import annotations

import argparse

from ganforge.commands.registry import register_command


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "tasks", help="list the model families (model.task values), plug-ins included"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Deferred: it loads torch, and `ganforge --help` / `ganforge presets` stay instant.
    from ganforge.tasks import TASKS

    for name, cls in TASKS.items():
        doc = (cls.__doc__ or "").strip().splitlines()
        where = "" if cls.__module__.startswith("ganforge.") else f" [plug-in: {cls.__module__}]"
        print(f"{name:12s} {doc[0] if doc else cls.__name__}{where}")
    return 0


register_command("tasks", register)
