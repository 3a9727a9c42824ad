"""The ``i2i`` config section: settings of the image-to-image tasks (``model.task`` = pix2pix,
cyclegan or srgan), and the checks that tie them to the rest of the config.

Kept apart from ``config.py`` so that file stays about the noise-to-image models; ``Config`` has an
``i2i`` field of this type and calls :func:`check_i2i` from its ``__post_init__``. Field docstrings
are CLI help, as everywhere (`ganforge train --help-config`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ganforge.errors import GanforgeError

if TYPE_CHECKING:
    from ganforge.config import Config

TASKS = ("gan", "pix2pix", "cyclegan", "srgan")
GENERATORS = ("auto", "unet", "resnet", "srresnet")
CONTENT_LOSSES = ("vgg", "l1", "mse", "dfeat")
SR_CROPS = ("native", "resize")
PAPER_DEFAULT = -1.0
"""``i2i.adv_weight`` left at this value means "the task's paper value" (:func:`adv_weight_of`)."""


@dataclass
class I2IConfig:
    generator: str = "auto"
    """auto (unet for pix2pix, resnet for cyclegan, srresnet for srgan) | unet | resnet | srresnet."""
    g_blocks: int = 0
    """Residual blocks of the resnet / srresnet generator; 0: the paper's (CycleGAN 9, or 6 below
    256 px; SRResNet 16)."""
    unet_depth: int = 0
    """U-Net levels; 0: log2(data.resolution), the paper's 1x1 bottleneck."""
    d_layers: int = 3
    """PatchGAN stride-2 layers: 3 = 70x70 patches (pix2pix, CycleGAN), 1 = 16x16, 4 = 142x142."""
    norm: str = "auto"
    """Normalisation of G and D: auto (batch for pix2pix, instance for cyclegan) | batch | instance."""
    dropout: float = 0.5
    """Dropout in the U-Net decoder: pix2pix's only noise (Isola et al. 2017); 0: deterministic."""
    direction: str = "AtoB"
    """AtoB | BtoA: which domain the generator reads (facades: BtoA maps labels to photos)."""
    load_size: int = 0
    """Side the images are stored at; training cuts random data.resolution crops of them (pix2pix
    jitter: 286 -> 256; SR: the side of the native-resolution tiles the 96 px HR crops are cut
    from, see sr_crops); 0: data.resolution, no crops."""
    fit: str = "crop"
    """Non-square paired/unpaired images: crop (scale the short side, keep the centre) | pad (scale
    the long side, fill with data.background)."""
    lambda_l1: float = 100.0
    """pix2pix: weight of the L1 term (Isola et al. 2017, eq. 4)."""
    lambda_cycle: float = 10.0
    """CycleGAN: weight of the cycle-consistency loss (Zhu et al. 2017, eq. 3)."""
    lambda_identity: float = 0.5
    """CycleGAN: identity-loss weight as a fraction of lambda_cycle (0: off)."""
    pool_size: int = 50
    """CycleGAN: generated images in each discriminator's history pool (Shrivastava et al. 2017);
    0: D sees only the newest fakes."""
    adv_weight: float = -1.0
    """Weight of G's adversarial loss; -1: the task's paper value: pix2pix 1 (Isola et al. 2017,
    eq. 4), SRGAN 1e-3 (Ledig et al. 2017, eq. 3), CycleGAN 2 with loss.name=lsgan (undoing the 1/2
    of Mao et al.'s G loss to give Zhu et al.'s E[(D(G(x)) - 1)^2]), else 1. 0 turns the
    adversarial term off (pix2pix's L1-only ablation)."""
    scale: int = 4
    """SRGAN: upscaling factor (2, 4 or 8); inputs are bicubic downscales of the HR crops."""
    content_loss: str = "vgg"
    """SRGAN content loss: vgg (VGG19 features, weights fetched once) | l1 | mse (pixels) | dfeat
    (discriminator features): the last three need no download."""
    vgg_layer: str = "5_4"
    """SRGAN: VGG19 feature map phi_{i,j} for content_loss=vgg: 5_4 (SRGAN-VGG54) or 2_2 (VGG22)."""
    pretrain_images: int = 0
    """SRGAN: images of pixel-MSE training of G alone (SRResNet) before the adversarial phase;
    part of train.images (the adversarial phase is train.images - pretrain_images)."""
    sr_crops: str = "native"
    """SRGAN with data.source=folder:PATH: native (HR crops at the photos' own resolution, the
    SRGAN way: each photo is cut into load_size tiles, crops are taken inside them) | resize
    (photos scaled to load_size first; fine detail is lost). Data sets (fashion-mnist, ...) are
    always resized."""

    def __post_init__(self) -> None:
        from ganforge.config import _choice

        _choice(self.generator, GENERATORS, "i2i.generator")
        _choice(self.norm, ("auto", "batch", "instance"), "i2i.norm")
        _choice(self.direction, ("AtoB", "BtoA"), "i2i.direction")
        _choice(self.fit, ("crop", "pad"), "i2i.fit")
        _choice(self.content_loss, CONTENT_LOSSES, "i2i.content_loss")
        _choice(self.sr_crops, SR_CROPS, "i2i.sr_crops")
        if self.adv_weight < 0 and self.adv_weight != PAPER_DEFAULT:
            raise GanforgeError(
                f"i2i.adv_weight={self.adv_weight} must be >= 0 (or -1: the task's paper value)"
            )
        if not 0 <= self.dropout < 1:
            raise GanforgeError(f"i2i.dropout={self.dropout} must be in [0, 1)")
        if self.scale not in (2, 4, 8):
            raise GanforgeError(f"i2i.scale={self.scale} must be 2, 4 or 8")
        for k in ("g_blocks", "unet_depth", "load_size", "pool_size", "pretrain_images"):
            if getattr(self, k) < 0:
                raise GanforgeError(f"i2i.{k}={getattr(self, k)} must be >= 0")
        if self.d_layers < 1:
            raise GanforgeError(f"i2i.d_layers={self.d_layers} must be at least 1")


def generator_of(cfg: Config) -> str:
    """The generator architecture a config trains (i2i.generator, or the task's default)."""
    g = cfg.i2i.generator
    if g != "auto":
        return g
    return {"pix2pix": "unet", "cyclegan": "resnet", "srgan": "srresnet"}[cfg.model.task]


def norm_of(cfg: Config) -> str:
    n = cfg.i2i.norm
    return n if n != "auto" else ("instance" if cfg.model.task == "cyclegan" else "batch")


def unet_depth(cfg: Config) -> int:
    return cfg.i2i.unet_depth or int(math.log2(cfg.data.resolution))


def g_blocks(cfg: Config) -> int:
    if cfg.i2i.g_blocks:
        return cfg.i2i.g_blocks
    if generator_of(cfg) == "srresnet":
        return 16
    return 9 if cfg.data.resolution >= 256 else 6


def gan_loss_of(cfg: Config) -> str:
    """The GAN loss of a task: ``loss.name``, where "auto" (if the config allows it) means the
    paper's: lsgan for CycleGAN (Zhu et al. 2017, sec. 4), nonsaturating for pix2pix and SRGAN."""
    name = cfg.loss.name
    if name != "auto":
        return name
    return "lsgan" if cfg.model.task == "cyclegan" else "nonsaturating"


def adv_weight_of(cfg: Config) -> float:
    """``i2i.adv_weight``, or the task's paper value when it is left at -1 (see its docstring)."""
    w = cfg.i2i.adv_weight
    if w != PAPER_DEFAULT:
        return w
    task = cfg.model.task
    if task == "srgan":
        return 1e-3  # Ledig et al. 2017, eq. 3: l_X + 10^-3 l_Gen
    if task == "cyclegan" and gan_loss_of(cfg) == "lsgan":
        return 2.0  # ganforge's lsgan G loss is (D - 1)^2 / 2; the paper's has no 1/2
    return 1.0


def check_i2i(cfg: Config) -> None:
    """Cross-field checks of an image-to-image config (called by ``Config.__post_init__``)."""
    task, res, i, tc = cfg.model.task, cfg.data.resolution, cfg.i2i, cfg.train
    if task == "gan":
        return
    if cfg.data.is_toy:
        raise GanforgeError(f"model.task={task} translates images: data.source cannot be a toy set")
    if tc.n_critic != 1:
        raise GanforgeError(f"model.task={task} takes one D step per G step: set train.n_critic=1")
    if tc.eval_every > 0:
        raise GanforgeError(
            f"train.eval_every scores noise-to-image generators; model.task={task} logs "
            "PSNR/SSIM (or the cycle error) of its training batches in metrics.csv instead, and "
            "`ganforge eval RUN` scores held-out data: set train.eval_every=0"
        )
    if cfg.loss.gp_weight > 0 or cfg.loss.r1_gamma > 0 or cfg.loss.clip > 0:
        raise GanforgeError(
            f"model.task={task} does not use loss.gp_weight, r1_gamma or clip: set them to 0"
        )
    if i.load_size and i.load_size < res:
        raise GanforgeError(
            f"i2i.load_size={i.load_size} is smaller than the crops (data.resolution={res})"
        )
    gen = generator_of(cfg)
    if task == "srgan":
        if gen != "srresnet":
            raise GanforgeError("model.task=srgan trains i2i.generator=srresnet")
        if res % i.scale or res // i.scale < 4:
            raise GanforgeError(
                f"data.resolution={res} (the HR crop) must be a multiple of i2i.scale={i.scale} "
                "with at least 4 LR pixels a side"
            )
        return
    if gen == "srresnet":
        raise GanforgeError("i2i.generator=srresnet changes the size: it is for model.task=srgan")
    multiple = 2 ** unet_depth(cfg) if gen == "unet" else 4
    if gen == "unet" and i.unet_depth and 2**i.unet_depth > res:
        raise GanforgeError(
            f"i2i.unet_depth={i.unet_depth} needs crops of at least {2**i.unet_depth} px "
            f"(data.resolution={res})"
        )
    if res % multiple:
        raise GanforgeError(
            f"data.resolution={res} must be divisible by {multiple} for the {gen} generator"
        )
