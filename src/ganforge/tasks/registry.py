"""The task registry: what ``model.task`` trains. An explicit table, plus ``register_task`` for
plug-ins defined outside ganforge.

    gan       GANTask (gan.py): noise -> image, unconditional or class-conditional
    pix2pix   Pix2PixTask (i2i/pix2pix.py): paired translation, U-Net + PatchGAN
    cyclegan  CycleGANTask (i2i/cyclegan.py): unpaired translation, two G, two D, image pools
    srgan     SRGANTask (i2i/srgan.py): x2/x4/x8 super-resolution, SRResNet + VGG content loss
    r3gan     R3GANTask (r3gan.py): the modern GAN, RpGAN + R1 + R2, any size and aspect, RGBA
    fastgan   FastGANTask (fastgan.py): FastGAN's SLE generator and self-supervised D, the recipe
              for small folders on a CPU; RGBA, non-square
    inpaint   InpaintTask (inpaint.py): fill the missing pixels of an image, gated or partial conv
    autoencoder  AutoencoderTask (autoencoder.py): the tutorial's and the DCGAN paper's
              (denoising) autoencoders; their runs ``encode`` (``ganforge dedup``)
    text2image  Text2ImageTask (text2image.py): a caption -> an image, DF-GAN on a sentence
              encoder pre-trained contrastively (DAMSM); its runs ``text`` and ``sample``

Everything that depends on the task asks here: config validation (``check_config``), the data
readers (``load_data``), the Trainer (``build_task``), the run loader and the evaluator
(``task_class``), the CLI (``ganforge tasks``). A plug-in task module is imported by the user's
code, by ``ganforge --plugin MODULE``, or through an installed package's ``ganforge.plugins``
entry point (ganforge/plugins.py). The built-in tasks are registered by the same
``register_task`` a plug-in calls, with the sections they declare.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ganforge.config import Config, register_section
from ganforge.data.dataset import ImageData
from ganforge.errors import GanforgeError
from ganforge.registry import Registry
from ganforge.tasks.autoencoder import AutoencoderTask
from ganforge.tasks.base import Task
from ganforge.tasks.fastgan import FastGANTask
from ganforge.tasks.gan import GANTask
from ganforge.tasks.i2i.cyclegan import CycleGANTask
from ganforge.tasks.i2i.pix2pix import Pix2PixTask
from ganforge.tasks.i2i.srgan import SRGANTask
from ganforge.tasks.inpaint import InpaintTask
from ganforge.tasks.r3gan import R3GANTask
from ganforge.tasks.text2image import Text2ImageTask

TASKS: Registry[type[Task]] = Registry("task")
"""``model.task`` name -> its Task class."""


def register_task(name: str) -> Callable[[type[Task]], type[Task]]:
    """Class decorator: ``@register_task("my-task")`` makes ``model.task=my-task`` train it.

    The class must subclass ``Task``; the config sections it declares (``Task.sections``) become
    config sections. A name is registered once: another class under a taken name is refused in one
    line naming both modules; the same class again (a module imported twice) is not an error.
    """

    def add(cls: type[Task]) -> type[Task]:
        if not (isinstance(cls, type) and issubclass(cls, Task)):
            raise TypeError(f"register_task({name!r}) decorates Task subclasses, not {cls!r}")
        if not name or not all(c.isalnum() or c in "-_" for c in name):
            raise ValueError(f"task name {name!r} must be letters, digits, - and _")
        TASKS.add(name, cls)
        for key, section in cls.declared_sections().items():
            register_section(key, section)
        cls.name = name
        return cls

    return add


for _name, _cls in {
    "gan": GANTask,
    "pix2pix": Pix2PixTask,
    "cyclegan": CycleGANTask,
    "srgan": SRGANTask,
    "r3gan": R3GANTask,
    "fastgan": FastGANTask,
    "inpaint": InpaintTask,
    "autoencoder": AutoencoderTask,
    "text2image": Text2ImageTask,
}.items():
    register_task(_name)(_cls)


def task_class(cfg_or_name: Config | str) -> type[Task]:
    """The registered task of a config (or a task name); one-line error for an unknown one."""
    name = cfg_or_name if isinstance(cfg_or_name, str) else cfg_or_name.model.task
    return TASKS.lookup(
        name,
        "; a plug-in task's module must be imported first (ganforge --plugin MODULE, or a "
        "'ganforge.plugins' entry point)",
    )


def check_config(cfg: Config) -> type[Task]:
    """Everything about ``cfg`` that needs its task: the name, then the task's own checks."""
    cls = task_class(cfg)
    for key, section in cls.declared_sections().items():
        if key not in cfg.extra:
            cfg.extra[key] = section()  # the task's defaults, written to config.yaml
    d = cfg.model.discriminator
    if d not in cls.discriminator_choices:
        takers = [n for n in TASKS if d in TASKS[n].discriminator_choices]
        where = f"; model.task {', '.join(takers)} can" if takers else ""
        raise GanforgeError(
            f"model.task={cls.name} trains with model.discriminator "
            f"{' or '.join(cls.discriminator_choices)}, not {d!r}{where}"
        )
    cls.check_config(cfg)
    return cls


def load_task_data(cfg: Config) -> ImageData:
    """The in-memory data of a run, read by its task."""
    return task_class(cfg).load_data(cfg)


def build_task(cfg: Config, data: ImageData, device: torch.device, precision: str) -> Task:
    """The task object of ``cfg.model.task`` on ``data`` (kept on ``device``)."""
    return task_class(cfg)(cfg, data, device, precision)
