"""The task registry: what ``model.task`` trains, and the data each task reads.

    gan       GANTask (gan_task.py): noise -> image, unconditional or class-conditional
    pix2pix   Pix2PixTask (pix2pix_task.py): paired translation, U-Net + PatchGAN
    cyclegan  CycleGANTask (cyclegan_task.py): unpaired translation, two G, two D, image pools
    srgan     SRGANTask (srgan_task.py): x2/x4/x8 super-resolution, SRResNet + VGG content loss

The Trainer calls ``load_task_data`` (unless data is passed in) and ``build_task``, and from then
on only the task interface documented in ``gan_task.py`` and ``i2i_task.py``.
"""

from __future__ import annotations

import torch

from ganforge.config import Config
from ganforge.data.dataset import ImageData
from ganforge.errors import GanforgeError


def load_task_data(cfg: Config) -> ImageData:
    """The in-memory data of a run: ``data.load_data`` for GANs, ``data.i2i`` for the others."""
    if cfg.model.task == "gan":
        from ganforge.data import load_data

        return load_data(cfg.data, seed=cfg.train.seed)
    from ganforge.data.i2i import load_i2i_data

    return load_i2i_data(cfg)


def build_task(cfg: Config, data: ImageData, device: torch.device, precision: str):
    """The task object of ``cfg.model.task`` on ``data`` (kept on ``device``)."""
    task = cfg.model.task
    if task == "gan":
        from ganforge.train.gan_task import GANTask

        return GANTask(cfg, data.num_classes, device, precision)
    from ganforge.data.domains import TwoDomainData

    if task in ("pix2pix", "cyclegan") and not isinstance(data, TwoDomainData):
        raise GanforgeError(
            f"model.task={task} needs two image domains (TwoDomainData), got {data.name}: load "
            "the data with ganforge.train.tasks.load_task_data(cfg)"
        )
    if task == "pix2pix":
        from ganforge.train.pix2pix_task import Pix2PixTask

        return Pix2PixTask(cfg, data, device, precision)
    if task == "cyclegan":
        from ganforge.train.cyclegan_task import CycleGANTask

        return CycleGANTask(cfg, data, device, precision)
    from ganforge.train.srgan_task import SRGANTask

    return SRGANTask(cfg, data, device, precision)
