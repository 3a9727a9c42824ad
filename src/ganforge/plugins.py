"""Plug-ins: modules that add tasks, sub-commands, data schemes, logger sinks or config sections.

A plug-in is an ordinary module that registers what it brings when it is imported
(``@register_task``, ``register_command``, ``register_scheme``, ``register_sink``). It is imported
by the user's own code, by ``ganforge --plugin MODULE`` (before the command line is parsed, so a
plug-in's sub-command exists), or, for an installed package, through an entry point in the group
``ganforge.plugins`` (``ganforge.tasks``, the group of earlier versions, is read too)::

    [project.entry-points."ganforge.plugins"]
    my_gan = "my_gan.plugin"

A module that fails to import, or a name that is taken, is one line naming the module.
"""

from __future__ import annotations

import importlib
from importlib import metadata

from ganforge.errors import GanforgeError

ENTRY_POINT_GROUPS = ("ganforge.plugins", "ganforge.tasks")
"""Entry-point groups whose modules are imported as plug-ins (the second is the older name)."""


def load_plugins(modules: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Import ``modules`` (e.g. from ``--plugin``) and every installed plug-in entry point.
    Returns what was imported; a failure is one line."""
    done: list[str] = []
    for module in modules:
        if not all(part.isidentifier() for part in module.split(".")):
            raise GanforgeError(
                f"--plugin {module!r} must be an importable module name (e.g. my_tasks), not a path"
            )
        try:
            importlib.import_module(module)
        except ImportError as e:
            raise GanforgeError(
                f"--plugin {module}: cannot import it ({e}); is it on PYTHONPATH?"
            ) from None
        done.append(module)
    for group in ENTRY_POINT_GROUPS:
        for entry in metadata.entry_points(group=group):
            try:
                entry.load()
            except GanforgeError as e:  # e.g. a name another plug-in already took
                raise GanforgeError(f"the {group} entry point {entry.name}: {e}") from None
            except Exception as e:  # a broken third-party package must not break ganforge
                raise GanforgeError(
                    f"the {group} entry point {entry.name} ({entry.value}) failed to load "
                    f"({type(e).__name__}: {e}); fix or uninstall that package"
                ) from None
            done.append(entry.value)
    return done


def plugin_arguments(argv: list[str]) -> list[str]:
    """The ``--plugin`` values of a command line, read before it is parsed (a plug-in may add the
    sub-command the rest of the line names). Only options before the sub-command count, as the
    parser reads them: ``--plugin M``, ``--plugin=M``."""
    found: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--plugin" and i + 1 < len(argv):
            found.append(argv[i + 1])
            i += 2
            continue
        if arg.startswith("--plugin="):
            found.append(arg.removeprefix("--plugin="))
        elif not arg.startswith("-"):
            break  # the sub-command: what follows is its own
        i += 1
    return found
