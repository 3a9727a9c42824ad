"""Sub-commands of the ``ganforge`` CLI, one module each, registered in ``registry.COMMANDS``.

Each module imports only argparse (and the registry) at the top and its heavy dependencies inside
the function that runs the command, so ``ganforge --help`` stays instant. Importing this package
imports the modules of ``BUILTIN`` in that order, and each registers itself, as a plug-in's module
does (``registry.register_command``); ``ganforge --help`` lists them in that order.
"""

import importlib

from ganforge.commands.registry import COMMANDS, register_command

BUILTIN = (
    "train",
    "presets",
    "pretrained",
    "tasks",
    "eval",
    "memorization",
    "sample",
    "interpolate",
    "sheet",
    "arithmetic",
    "ablate",
    "invert",
    "export",
    "report",
    "demo",
    "translate",
    "upscale",
    "inpaint",
    "dedup",
)
"""The built-in command modules (``ganforge/commands/<name>.py``), in ``--help`` order."""

for _name in BUILTIN:
    importlib.import_module(f"ganforge.commands.{_name}")

__all__ = ["BUILTIN", "COMMANDS", "register_command"]
