"""The ``ganforge`` command line: one sub-command per job.

Bad input raises GanforgeError, printed here as one line on stderr with exit code 2; so are a
usage error (argparse's, made one line by ``_Parser``) and a failure of the environment (a full
disk, a read-only folder: ``errors.environment_error``). Each
sub-command imports its heavy modules only when it runs, so ``ganforge presets`` is instant.
``--plugin MODULE`` (before the command) imports a module that registers plug-ins (tasks,
commands, data schemes, logger sinks), before the line is parsed, so a plug-in's command exists;
installed packages declare theirs as ``ganforge.plugins`` entry points (ganforge/plugins.py). The
commands are the ``ganforge.commands`` registry's.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import NoReturn

from ganforge.commands import COMMANDS  # noqa: F401  (registers the built-in commands)
from ganforge.commands.registry import add_all, commands_for
from ganforge.errors import DataWarning, GanforgeError, MissingUse, environment_error
from ganforge.plugins import load_plugins, plugin_arguments
from ganforge.version import __version__


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error as one ``ganforge: error:`` line and exit code 2 (argparse
    prints the usage block first; ``--help`` still shows it)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"ganforge: error: {_one_line(message)} (see `{self.prog} --help`)\n")


def _one_line(text: object) -> str:
    """A message as one line, whatever line breaks a value quoted in it holds."""
    return " ".join(str(text).splitlines())


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
    # The built-in commands (registered when ganforge.commands is imported) and the plug-ins'.
    add_all(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``ganforge ARGV``; returns the exit code (0, 2 for any error of input or environment,
    130 for Ctrl-C, 141 for a closed pipe)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        # Plug-ins first: one may add the sub-command this line names (ganforge/plugins.py).
        load_plugins(plugin_arguments(argv))
        parser = build_parser()
    except GanforgeError as e:
        print(f"ganforge: error: {_one_line(e)}", file=sys.stderr)
        return 2
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
            return int(args.func(args) or 0)
    except MissingUse as e:  # a run that cannot do what the command asks: say what it can
        commands = commands_for(e.have)
        more = f" (commands for them: {', '.join(commands)})" if commands else ""
        print(f"ganforge: error: {_one_line(e)}{more}", file=sys.stderr)
        return 2
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
