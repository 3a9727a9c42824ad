"""The task registry: what ``model.task`` trains. An explicit table, plus ``register_task`` for
plug-ins defined outside ganforge.

    gan       GANTask (gan.py): noise -> image, unconditional or class-conditional
    pix2pix   Pix2PixTask (i2i/pix2pix.py): paired translation, U-Net + PatchGAN
    cyclegan  CycleGANTask (i2i/cyclegan.py): unpaired translation, two G, two D, image pools
    srgan     SRGANTask (i2i/srgan.py): x2/x4/x8 super-resolution, SRResNet + VGG content loss
    r3gan     R3GANTask (r3gan.py): the modern GAN, RpGAN + R1 + R2, any size and aspect, RGBA

Everything that depends on the task asks here: config validation (``check_config``), the data
readers (``load_data``), the Trainer (``build_task``), the run loader and the evaluator
(``task_class``), the CLI (``ganforge tasks``). A plug-in task module is imported by the user's
code, by ``ganforge --plugin MODULE``, or through an installed package's ``ganforge.tasks``
entry point (``load_plugins``).
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from importlib import metadata

import torch

from ganforge.config import Config, register_section
from ganforge.data.dataset import ImageData
from ganforge.errors import GanforgeError
from ganforge.tasks.base import Task
from ganforge.tasks.gan import GANTask
from ganforge.tasks.i2i.cyclegan import CycleGANTask
from ganforge.tasks.i2i.pix2pix import Pix2PixTask
from ganforge.tasks.i2i.srgan import SRGANTask
from ganforge.tasks.r3gan import R3GANTask

TASKS: dict[str, type[Task]] = {
    "gan": GANTask,
    "pix2pix": Pix2PixTask,
    "cyclegan": CycleGANTask,
    "srgan": SRGANTask,
    "r3gan": R3GANTask,
}
for _name, _cls in TASKS.items():
    _cls.name = _name

ENTRY_POINT_GROUP = "ganforge.tasks"
"""Installed packages may declare plug-in task modules under this entry-point group."""


def register_task(name: str) -> Callable[[type[Task]], type[Task]]:
    """Class decorator: ``@register_task("my-task")`` makes ``model.task=my-task`` train it.

    The class must subclass ``Task``; its ``section`` (if any) becomes a config section. A name is
    registered once: registering another class under a taken name is an error, re-registering the
    same class (a module imported twice) is not.
    """

    def add(cls: type[Task]) -> type[Task]:
        if not (isinstance(cls, type) and issubclass(cls, Task)):
            raise TypeError(f"register_task({name!r}) decorates Task subclasses, not {cls!r}")
        if not name or not all(c.isalnum() or c in "-_" for c in name):
            raise ValueError(f"task name {name!r} must be letters, digits, - and _")
        if TASKS.get(name, cls) is not cls:
            raise ValueError(f"task {name!r} is already registered ({TASKS[name].__name__})")
        if cls.section is not None:
            register_section(*cls.section)
        cls.name = name
        TASKS[name] = cls
        return cls

    return add


def load_plugins(modules: list[str] = ()) -> list[str]:
    """Import plug-in task modules: ``modules`` (e.g. from ``--plugin``) and every installed
    ``ganforge.tasks`` entry point. Returns the modules imported; a failure is one line."""
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
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            entry.load()
        except Exception as e:  # a broken third-party package must not break ganforge
            raise GanforgeError(
                f"the {ENTRY_POINT_GROUP} entry point {entry.name} ({entry.value}) failed to load "
                f"({type(e).__name__}: {e}); fix or uninstall that package"
            ) from None
        done.append(entry.value)
    return done


def task_class(cfg_or_name: Config | str) -> type[Task]:
    """The registered task of a config (or a task name); one-line error for an unknown one."""
    name = cfg_or_name if isinstance(cfg_or_name, str) else cfg_or_name.model.task
    if name in TASKS:
        return TASKS[name]
    hint = difflib.get_close_matches(name, list(TASKS), n=1)
    extra = f" (did you mean {hint[0]!r}?)" if hint else ""
    raise GanforgeError(
        f"model.task={name!r} is not one of {', '.join(TASKS)}{extra}; a plug-in task's module "
        "must be imported first (ganforge --plugin MODULE, or a 'ganforge.tasks' entry point)"
    )


def check_config(cfg: Config) -> type[Task]:
    """Everything about ``cfg`` that needs its task: the name, then the task's own checks."""
    cls = task_class(cfg)
    if cls.section is not None and cls.section[0] not in cfg.extra:
        cfg.extra[cls.section[0]] = cls.section[1]()  # the task's defaults, written to config.yaml
    cls.check_config(cfg)
    return cls


def load_task_data(cfg: Config) -> ImageData:
    """The in-memory data of a run, read by its task."""
    return task_class(cfg).load_data(cfg)


def build_task(cfg: Config, data: ImageData, device: torch.device, precision: str) -> Task:
    """The task object of ``cfg.model.task`` on ``data`` (kept on ``device``)."""
    return task_class(cfg)(cfg, data, device, precision)
