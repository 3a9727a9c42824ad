"""Tasks: the model families ganforge trains, each one ``Task`` subclass plus one registry entry.

    base.py       the Task interface (Phase, PhaseLoss): what the one Trainer needs of a family
    registry.py   TASKS, register_task, and the lookups config, data, trainer and CLI use
    gan.py        noise -> image GANs (vanilla, DCGAN, cGAN, WGAN(-GP), SNGAN, projection); the
                  projected discriminator any of them may train against
    r3gan.py      the modern GAN (R3GAN)
    fastgan.py    FastGAN: the small-folder recipe on a CPU
    i2i/          pix2pix, CycleGAN, SRGAN
    inpaint.py    inpainting: gated or partial convolutions, SN-PatchGAN or global-local D
    optim.py      the optimizers they build
    weights.py    reading trained weights out of a checkpoint for inference

A plug-in outside the package::

    from ganforge.tasks import Task, register_task

    @register_task("my-task")
    class MyTask(Task):
        ...

then ``ganforge train --set model.task=my-task`` (see docs/architecture.md).
"""

from ganforge.tasks.base import Batch, Phase, PhaseLoss, Task
from ganforge.tasks.registry import (
    TASKS,
    build_task,
    check_config,
    load_task_data,
    register_task,
    task_class,
)

__all__ = [
    "TASKS",
    "Batch",
    "Phase",
    "PhaseLoss",
    "Task",
    "build_task",
    "check_config",
    "load_task_data",
    "register_task",
    "task_class",
]
