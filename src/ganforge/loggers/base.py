"""Logger sinks: where a run's scalars, evaluation scores, sample grids and config go besides
metrics.csv, behind one interface, chosen by ``train.loggers``.

metrics.csv is the run's own record and is always written (plots, the report page and resume read
it; train/run_folder.py). A sink is a copy for a tool: TensorBoard (``tensorboard.py``), the
experiment trackers W&B and MLflow (``wandb.py``, ``mlflow.py``), and any sink a plug-in registers::

    from ganforge.loggers import Sink, register_sink

    @register_sink("my-tracker")
    class MyTracker(Sink):
        def __init__(self, run_dir, config, resume_at): ...
        def scalars(self, images, values): ...

A sink is started by the Trainer on the main process when training starts, with the resolved
config and ``resume_at``, the images of the checkpoint a resumed run continues from (0 for a new
run): what the sink logged after that point is about to be logged again, so it trims it (TensorBoard
purges those events) or continues its earlier run. ``loggers/fanout.py`` keeps training
independent of the sinks: one that fails is reported once and switched off.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from ganforge.errors import GanforgeError
from ganforge.registry import Registry


class SinkUnavailable(GanforgeError):
    """A sink that cannot start here (its library is not installed): the message names the extra
    to install."""


class Sink(ABC):
    """One destination of a run's logs. Steps are images seen (the x axis of every curve)."""

    name: ClassVar[str] = ""
    """The ``train.loggers`` value that selects it (set by ``register_sink``)."""
    missing_ok: ClassVar[bool] = False
    """True: when its library is missing the run goes on with a note (a default sink), instead of
    refusing to start (a sink the user asked for)."""

    @classmethod  # noqa: B027 (optional hook: most sinks need nothing to be checked)
    def check(cls) -> None:
        """Before any file is written: raise ``SinkUnavailable`` when the sink cannot run here."""

    @abstractmethod
    def __init__(self, run_dir: Path, config: dict[str, Any], resume_at: int) -> None:
        """Start logging run ``run_dir`` (its resolved ``config`` as a dict); ``resume_at``: the
        images of the checkpoint a resume continues from, 0 for a new run."""

    @abstractmethod
    def scalars(self, images: int, values: dict[str, float]) -> None:
        """One metrics.csv row's values (losses, learning rates, img/s) at ``images``."""

    def scores(self, images: int, values: dict[str, float]) -> None:
        """An evaluation's scores (train.eval_every) at ``images``; as scalars under ``eval/``
        unless the sink knows better."""
        self.scalars(images, {f"eval/{k}": v for k, v in values.items()})

    def image(self, images: int, tag: str, path: Path) -> None:  # noqa: B027 (optional)
        """A sample grid written to ``path`` (PNG) at ``images``."""

    def close(self) -> None:  # noqa: B027 (optional: most sinks write as they go)
        """Flush and stop (the run finished, failed or was interrupted)."""


SINKS: Registry[type[Sink]] = Registry("logger sink")
"""``train.loggers`` name -> its Sink class."""


def register_sink(name: str) -> Callable[[type[Sink]], type[Sink]]:
    """Class decorator: ``@register_sink("name")`` makes ``train.loggers=[name]`` log to it."""

    def add(cls: type[Sink]) -> type[Sink]:
        if not (isinstance(cls, type) and issubclass(cls, Sink)):
            raise TypeError(f"register_sink({name!r}) decorates Sink subclasses, not {cls!r}")
        SINKS.add(name, cls)
        cls.name = name
        return cls

    return add
