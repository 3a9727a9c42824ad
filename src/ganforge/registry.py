"""Named registries with owners: the one mechanism behind every open list of ganforge.

Tasks (``model.task``), config sections, data schemes (``data.source``), logger sinks
(``train.loggers``) and sub-commands are each a ``Registry``: an explicit table that grep can
follow (STYLE.md: no string-to-class magic), filled by the built-in modules and by plug-ins in the
same way. Every entry records its owner (the module that registered it), so a name that is taken
is refused in one line naming both owners, whoever came first::

    task 'gan' is already registered by ganforge.tasks.gan; my_plugin cannot register it too:
    choose another name

Registering the same object again under the same name (a module imported twice) is not an error.
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Iterator, Mapping
from typing import Generic, TypeVar

from ganforge.errors import GanforgeError

T = TypeVar("T")


def owner_of(item: object) -> str:
    """The module an item comes from (a class or function's ``__module__``; else its type's)."""
    module = getattr(item, "__module__", None)
    if not isinstance(module, str):
        module = type(item).__module__
    return module


class Registry(Mapping[str, T], Generic[T]):
    """A name -> item table of one ``kind`` ("task", "data scheme", ...), with owners.

    A read-only ``Mapping`` (``name in r``, ``r[name]``, ``r.items()``); ``add`` is the only way
    in. ``lookup`` is ``r[name]`` with a one-line error that suggests the closest name.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        self._owners: dict[str, str] = {}

    def add(self, name: str, item: T, owner: str | None = None) -> T:
        """Register ``item`` as ``name``; refuses a name another owner's item holds."""
        if not isinstance(name, str) or not name or any(c.isspace() for c in name):
            raise GanforgeError(f"{self.kind} name {name!r:.60} must be a non-empty word")
        owner = owner or owner_of(item)
        if name in self._items and self._items[name] is not item:
            raise GanforgeError(
                f"{self.kind} {name!r} is already registered by {self._owners[name]}; {owner} "
                "cannot register it too: choose another name"
            )
        self._items[name] = item
        self._owners[name] = owner
        return item

    def remove(self, name: str) -> None:
        """Forget ``name`` (tests, and a session that redefines a plug-in); absent names are fine."""
        self._items.pop(name, None)
        self._owners.pop(name, None)

    @contextlib.contextmanager
    def restored(self) -> Iterator[Registry[T]]:
        """Within the block entries may be added or removed; afterwards the table is as before
        (tests register throw-away plug-ins this way)."""
        items, owners = dict(self._items), dict(self._owners)
        try:
            yield self
        finally:
            self._items, self._owners = items, owners

    def owner(self, name: str) -> str:
        """The module that registered ``name``."""
        return self._owners[name]

    def lookup(self, name: str, hint: str = "") -> T:
        """``self[name]``, or a one-line GanforgeError naming the known names (and the closest)."""
        if name in self._items:
            return self._items[name]
        close = difflib.get_close_matches(str(name), list(self._items), n=1)
        guess = f" (did you mean {close[0]!r}?)" if close else ""
        raise GanforgeError(
            f"unknown {self.kind} {name!r:.80}{guess}: use one of {', '.join(self._items)}{hint}"
        )

    def __getitem__(self, name: str) -> T:
        return self._items[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {list(self._items)})"
