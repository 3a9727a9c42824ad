"""Data schemes: what ``data.source`` can name, as a registry the built-in readers and plug-ins
fill alike.

A scheme is a name (``fashion-mnist``, ``cifar10``, ``toy-ring``, a pix2pix set such as
``facades``) or a prefix that takes an argument (``folder:PATH``, ``paired:PATH``,
``unpaired:PATH``, ``captioned:PATH``), the reader that turns it into a record
(``ImageData`` or a subclass, data/dataset.py), and the **kind** of record it yields:

    images    ImageData of uint8 images (most schemes)
    points    ImageData of float32 2-D points (the toys)
    pairs     TwoDomainData, A[i] belongs with B[i] (pix2pix)
    unpaired  TwoDomainData, two independent domains (CycleGAN)

A task asks ``load_data`` for the kinds it reads, so ``--data paired:...`` on a noise-to-image
task is refused in one line that says what it gives and what the task needs. A scheme may give
several kinds (``cityscapes`` and ``maps`` are both a pix2pix and a CycleGAN set): its reader gets
the one the task reads as ``options["kind"]``. A reader is called as
``read(argument, cfg, seed, options)``: ``argument`` is what follows ``name:`` (empty for plain
names), ``cfg`` the ``DataConfig``, ``options`` what the task adds (e.g. an image-to-image task's
``load_size`` and ``fit``) and the ``kind``. A plug-in adds a scheme with ``register_scheme``::

    from ganforge.data import register_scheme

    def read_my_set(argument, cfg, seed, options):
        return ImageData(...)

    register_scheme("my-set", read_my_set, takes_argument=True, doc="my-set:PATH, my format")
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ganforge.config import DataConfig
from ganforge.errors import GanforgeError
from ganforge.registry import Registry, owner_of

KINDS = ("images", "points", "pairs", "unpaired")
Reader = Callable[[str, DataConfig, int, Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Scheme:
    name: str
    read: Reader
    """(argument, DataConfig, seed, options) -> the record (ImageData or a subclass)."""
    kinds: tuple[str, ...] = ("images",)
    """What its records hold (``KINDS``); options["kind"] tells the reader which is wanted."""
    takes_argument: bool = False
    """``name:ARGUMENT`` (a path) rather than a plain name."""
    doc: str = ""
    """One line for ``--help-config`` and error messages, e.g. ``folder:PATH, any image folder``."""

    @property
    def spelling(self) -> str:
        return f"{self.name}:PATH" if self.takes_argument else self.name


SCHEMES: Registry[Scheme] = Registry("data scheme")
"""Every ``data.source`` scheme by name."""


def register_scheme(
    name: str,
    read: Reader,
    *,
    kind: str | tuple[str, ...] = "images",
    takes_argument: bool = False,
    doc: str = "",
) -> Scheme:
    """Make ``data.source=name`` (or ``name:ARGUMENT`` with ``takes_argument``) read by ``read``,
    giving records of ``kind`` (or of each of several kinds)."""
    kinds = (kind,) if isinstance(kind, str) else tuple(kind)
    if not kinds or any(k not in KINDS for k in kinds):
        raise ValueError(f"scheme {name!r}: kind {kind!r} is not among {', '.join(KINDS)}")
    if not name or ":" in name or any(c.isspace() for c in name):
        raise ValueError(f"scheme name {name!r} must be a word without ':'")
    return SCHEMES.add(name, Scheme(name, read, kinds, takes_argument, doc), owner_of(read))


def resolve(source: str) -> tuple[Scheme, str]:
    """``data.source`` -> (its scheme, the argument after ``name:``); one line when unknown or
    when a path is missing."""
    source = source.strip()
    head, sep, argument = source.partition(":")
    if sep and head in SCHEMES and SCHEMES[head].takes_argument:
        argument = argument.strip()
        if not argument:
            raise GanforgeError(
                f"data.source={head}: needs a path: use --data {head}:/path/to/images"
            )
        return SCHEMES[head], argument
    if source in SCHEMES and not SCHEMES[source].takes_argument:
        return SCHEMES[source], ""
    if source in SCHEMES:  # "folder" without ":PATH"
        raise GanforgeError(
            f"data.source={source} needs a path: use --data {source}:/path/to/images"
        )
    names = [s.spelling for s in SCHEMES.values()]
    close = difflib.get_close_matches(source, [s.name for s in SCHEMES.values()], n=1)
    guess = f" (did you mean {close[0]!r}?)" if close else ""
    raise GanforgeError(f"unknown data.source={source!r:.80}{guess}: use one of {', '.join(names)}")


def kind_error(source: str, scheme: Scheme, kinds: tuple[str, ...], task: str = "") -> str:
    """The one line for a source whose records are not of a kind the task reads."""
    wanted = " or ".join(kinds)
    examples = ", ".join(s.spelling for s in SCHEMES.values() if set(s.kinds) & set(kinds))
    who = f"model.task={task}" if task else "this task"
    return (
        f"data.source={source} gives {' or '.join(scheme.kinds)} data; {who} reads {wanted} "
        f"data: use {examples or 'a scheme of that kind'}"
    )
