"""The sub-commands of ``ganforge``: a registry that built-in commands and plug-ins fill alike.

A command is a name, a function that adds its sub-parser (``register(sub)``: argparse only, so
that ``ganforge --help`` imports no torch; the parser's ``func`` default runs the command) and the
run uses it needs (``inference/uses.py``: ``sample``, ``translate``, ...), which the one error for a
run that cannot do what a command asks lists commands from. Each built-in command module registers
itself when ``ganforge.commands`` is imported; a plug-in does the same from its own module::

    from ganforge.commands.registry import register_command

    def register(sub):
        p = sub.add_parser("hello", help="say hello")
        p.set_defaults(func=lambda args: print("hello") or 0)

    register_command("hello", register)

and is loaded with ``ganforge --plugin MODULE hello`` or a ``ganforge.plugins`` entry point.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

from ganforge.errors import GanforgeError
from ganforge.registry import Registry, owner_of

AddParser = Callable[[argparse._SubParsersAction], None]


@dataclass(frozen=True)
class Command:
    name: str
    register: AddParser
    """Adds the sub-parser named ``name`` (with ``func`` set) to the CLI's sub-parsers."""
    uses: tuple[str, ...] = ()
    """Run uses the command needs, any of which will do (empty: it takes no run, or any run)."""


COMMANDS: Registry[Command] = Registry("command")
"""Every sub-command, in the order ``ganforge --help`` lists them."""


def register_command(name: str, register: AddParser, uses: tuple[str, ...] = ()) -> Command:
    """Add sub-command ``name``; a name another module holds is refused naming both."""
    return COMMANDS.add(name, Command(name, register, tuple(uses)), owner_of(register))


def add_all(sub: argparse._SubParsersAction) -> None:
    """Add every registered command's sub-parser (a plug-in that names its parser other than it
    registered is refused: the registry's name is what conflicts are checked on)."""
    for name, command in COMMANDS.items():
        before = set(sub.choices)
        command.register(sub)
        added = set(sub.choices) - before
        if added != {name}:
            raise GanforgeError(
                f"command {name!r} ({COMMANDS.owner(name)}) added the sub-command(s) "
                f"{sorted(added)} instead of {name!r}: register it under the name it parses"
            )


def commands_for(uses: tuple[str, ...] | list[str]) -> list[str]:
    """The commands that serve any of ``uses`` (for the error of a run without a use)."""
    return [n for n, c in COMMANDS.items() if set(c.uses) & set(uses)]
