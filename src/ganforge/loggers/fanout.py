"""The sinks of one run: started together, fed together, and never a reason for training to stop.

``Loggers`` starts the sinks ``train.loggers`` names. One that cannot start refuses the run before
its first iteration, in one line naming it, unless it is a default sink whose library is missing
(``Sink.missing_ok``: a note) or ``train.loggers_required`` is false (a note, and the run goes on
without it). Once running, a sink that raises is reported once, switched off, and the run goes on:
training, metrics.csv and checkpoints never depend on a sink.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ganforge.errors import GanforgeError
from ganforge.loggers.base import SINKS, Sink, SinkUnavailable


def check_sinks(names: list[str], required: bool) -> list[str]:
    """Before any file is written: every name registered, every sink's library present (or a
    note). Returns the notes."""
    notes: list[str] = []
    for name in names:
        cls = SINKS.lookup(name, "; a plug-in sink's module must be imported first (--plugin)")
        try:
            cls.check()
        except SinkUnavailable as e:
            if not (cls.missing_ok or not required):
                raise GanforgeError(
                    f"train.loggers: {e} (or set train.loggers_required=false to train without it)"
                ) from None
            notes.append(f"logger {name}: {e}")
    return notes


class Loggers:
    """The running sinks of a run (the main process's)."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.sinks: dict[str, Sink] = {}
        self.say = say
        """Where one-line notes go (the Trainer's notes: the console and run.json)."""

    def start(
        self,
        names: list[str],
        run_dir: Path,
        config: dict[str, Any],
        resume_at: int,
        required: bool,
    ) -> None:
        for name in names:
            if name in self.sinks:
                continue
            cls = SINKS.lookup(name)
            try:
                self.sinks[name] = cls(run_dir, config, resume_at)
            except Exception as e:  # a tracker that cannot start: its own errors, any kind
                why = f"{type(e).__name__}: {_first_line(e)}"
                if (isinstance(e, SinkUnavailable) and cls.missing_ok) or not required:
                    self.say(f"logger {name} did not start ({why}); training goes on without it")
                    continue
                raise GanforgeError(
                    f"logger {name} failed to start ({why}); fix it, remove it from "
                    "train.loggers, or set train.loggers_required=false to train without it"
                ) from None

    def _each(self, call: Callable[[Sink], None]) -> None:
        for name, sink in list(self.sinks.items()):
            try:
                call(sink)
            except Exception as e:  # never let a sink stop training
                del self.sinks[name]
                self.say(
                    f"logger {name} failed ({type(e).__name__}: {_first_line(e)}) and was "
                    "switched off; training, metrics.csv and checkpoints go on"
                )

    def scalars(self, images: int, values: dict[str, float]) -> None:
        self._each(lambda s: s.scalars(images, values))

    def scores(self, images: int, values: dict[str, float]) -> None:
        self._each(lambda s: s.scores(images, values))

    def image(self, images: int, tag: str, path: Path) -> None:
        self._each(lambda s: s.image(images, tag, path))

    def close(self) -> None:
        self._each(lambda s: s.close())
        self.sinks = {}


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [""])[0][:200]
