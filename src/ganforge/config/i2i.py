"""The ``i2i`` config section: settings of the image-to-image tasks (``model.task`` = pix2pix,
cyclegan or srgan).

Only each value's own range is checked here; the checks that tie the section to the task and the
data (crop sizes, generator per task) are the tasks' (``ganforge/tasks/i2i``). Field docstrings are
CLI help, as everywhere (`ganforge train --help-config`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ganforge.config.checks import choice, number
from ganforge.errors import GanforgeError

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
        choice(self.generator, GENERATORS, "i2i.generator")
        choice(self.norm, ("auto", "batch", "instance"), "i2i.norm")
        choice(self.direction, ("AtoB", "BtoA"), "i2i.direction")
        choice(self.fit, ("crop", "pad"), "i2i.fit")
        choice(self.content_loss, CONTENT_LOSSES, "i2i.content_loss")
        choice(self.sr_crops, SR_CROPS, "i2i.sr_crops")
        if self.adv_weight < 0 and self.adv_weight != PAPER_DEFAULT:
            raise GanforgeError(
                f"i2i.adv_weight={self.adv_weight} must be >= 0 (or -1: the task's paper value)"
            )
        number(self.dropout, "i2i.dropout", 0, 1, hi_open=True)
        for k in ("lambda_l1", "lambda_cycle", "lambda_identity", "adv_weight"):
            number(getattr(self, k), f"i2i.{k}", -1 if k == "adv_weight" else 0, 1e6)
        if self.scale not in (2, 4, 8):
            raise GanforgeError(f"i2i.scale={self.scale} must be 2, 4 or 8")
        for k, hi in (("g_blocks", 256), ("unet_depth", 12), ("load_size", 1 << 16)):
            number(getattr(self, k), f"i2i.{k}", 0, hi, hint=" (0: the default)")
        number(self.pool_size, "i2i.pool_size", 0, 1 << 16, hint=" (0: no pool)")
        number(self.pretrain_images, "i2i.pretrain_images", 0, 10**13)
        number(self.d_layers, "i2i.d_layers", 1, 12)
