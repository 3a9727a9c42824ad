"""SRGAN as a task: Ledig et al. 2017, "Photo-Realistic Single Image Super-Resolution Using a
Generative Adversarial Network" (CVPR, arXiv:1609.04802).

Perceptual loss (eq. 3): l^SR = l^SR_X + 10^-3 l^SR_Gen, a content loss plus the adversarial loss
-log D(G(I^LR)) (eq. 6, the non-saturating form: loss.name=nonsaturating) weighted by
``i2i.adv_weight`` (1e-3 unless set: ``SRGANTask.paper_adv_weight``). Content losses
(``i2i.content_loss``):

- vgg: the MSE between VGG19 feature maps phi_{i,j} of G(I^LR) and I^HR (eq. 5), features rescaled
  by 1/12.75 as in section 3.2 ("SRGAN-VGG54" with vgg_layer=5_4). Needs the ImageNet weights,
  fetched once, verified, cached (models/vgg19.py);
- mse: the pixel MSE of SRResNet (eq. 4); l1: the pixel L1 (often sharper, needs nothing);
- dfeat: the MSE between the discriminator's last feature maps of the two images (a
  feature-matching content loss that needs no downloaded network, cf. Salimans et al. 2016).

Section 3.2: G is first trained alone on pixel MSE (SRResNet) and used to initialise the GAN; here
the first ``i2i.pretrain_images`` images do that (no D step, only the G phase on MSE), then the
adversarial phase follows in the same run, for ``train.images - i2i.pretrain_images`` images. The
pre-training length is ``cfg.i2i.pretrain_images`` (0 for every other task), also exposed as
``SRGANTask.pretrain_images``; the learning-rate schedule starts after it
(``Task.schedule_start``). The paper trains SRResNet for 10^6 updates and the GAN for 10^5 at
lr 1e-4 then 10^5 at 1e-5 (train.lr_schedule=step); the srgan-x4 preset pre-trains 10^5 updates.
Batches: random HR crops of ``data.resolution``, the LR input their bicubic downscale by
``i2i.scale`` (data/i2i/sr.py), made per batch on the training device.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from ganforge.config import Config
from ganforge.config.i2i import PAPER_DEFAULT
from ganforge.data.dataset import ImageData
from ganforge.data.files.download import cache_dir
from ganforge.data.i2i.sr import downscale, load_sr
from ganforge.data.loader import IndexSampler
from ganforge.errors import GanforgeError
from ganforge.losses import reconstruction as R
from ganforge.models.srresnet import SRDiscriminator
from ganforge.models.vgg19 import fetch_vgg19
from ganforge.tasks.base import PhaseLoss
from ganforge.tasks.i2i.base import I2ITask, interleave
from ganforge.tasks.optim import make_optimizer

Batch = tuple[Tensor, Tensor]  # (LR (B, C, S/r, S/r), HR (B, C, S, S)) in [-1, 1]
VGG_RESCALE = 1 / 12.75  # section 3.2: VGG losses on the scale of the MSE loss


class SRGANTask(I2ITask):
    """Super-resolution x2/x4/x8 (Ledig et al. 2017): SRResNet G, VGG content + adversarial loss."""

    extra_columns = ("g_adv", "content", "psnr", "ssim")
    default_generator = "srresnet"
    default_loss = "nonsaturating"

    def __init__(
        self, cfg: Config, data: ImageData, device: torch.device, precision: str = "fp32"
    ) -> None:
        super().__init__(cfg, data, device, precision)
        self.scale = cfg.i2i.scale
        self.G, self.D = (
            self.build_generator(cfg),
            SRDiscriminator(cfg.data.channels, cfg.model.d_width),
        )
        self._place(self.G, self.D)
        self.opt_g = make_optimizer(self.G.parameters(), cfg.g_optim)
        self.opt_d = make_optimizer(self.D.parameters(), cfg.d_optim)
        self.hr = data.images.to(device)
        self.sampler = IndexSampler(len(data), cfg.train.batch_size, cfg.train.seed)
        self.vgg: nn.Module | None = None
        if cfg.i2i.content_loss == "vgg":
            self.vgg = fetch_vgg19(cache_dir(cfg.data), cfg.data.download, cfg.i2i.vgg_layer)
            self._place(self.vgg)
        self.pretrain_images = cfg.i2i.pretrain_images  # images of MSE-only training of G
        # The learning-rate schedule's halves are those of the adversarial phase.
        self.schedule_start = self.pretrain_images
        self.images_seen = 0  # decides the pre-training phase

    @classmethod
    def paper_adv_weight(cls, cfg: Config) -> float:
        """Ledig et al. 2017, eq. 3: l_X + 10^-3 l_Gen."""
        return 1e-3 if cfg.i2i.adv_weight == PAPER_DEFAULT else cfg.i2i.adv_weight

    @classmethod
    def output_scale(cls, cfg: Config) -> int:
        return cfg.i2i.scale

    @classmethod
    def check_config(cls, cfg: Config) -> None:
        super().check_config(cfg)
        res, scale = cfg.data.resolution, cfg.i2i.scale
        if cls.generator_of(cfg) != "srresnet":
            raise GanforgeError("model.task=srgan trains i2i.generator=srresnet")
        if res % scale or res // scale < 4:
            raise GanforgeError(
                f"data.resolution={res} (the HR crop) must be a multiple of i2i.scale={scale} "
                "with at least 4 LR pixels a side"
            )

    @classmethod
    def load_data(cls, cfg: Config) -> ImageData:
        i = cfg.i2i
        data = load_sr(
            cfg.data, cfg.train.seed, i.load_size or cfg.data.resolution, i.sr_crops, i.scale
        )
        data.report.update(task=cfg.model.task)
        return data

    @property
    def generators(self) -> dict[str, nn.Module]:
        return {"G": self.G}

    @property
    def discriminators(self) -> dict[str, nn.Module]:
        return {"D": self.D}

    def extra_state(self) -> dict[str, Any]:
        return {**super().extra_state(), "images_seen": self.images_seen}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        super().load_extra_state(state)
        self.images_seen = int(state["images_seen"])

    def draw(self) -> Tensor:
        return self.sampler.next()

    def make_batch(self, draw: Tensor, gen: torch.Generator) -> Batch:
        hr = self._crops(self.hr, draw.to(self.device), gen)
        return self._lr(hr), hr

    def _lr(self, hr: Tensor) -> Tensor:
        lr = downscale(hr, self.scale)
        return lr.contiguous(memory_format=torch.channels_last) if self.channels_last else lr

    # ------------------------------------------------------------------ phases
    def d_loss(
        self, batch: Batch, gen: torch.Generator, measure: bool, carry: Any
    ) -> PhaseLoss | None:
        lr, hr = batch
        pretraining = self.images_seen < self.pretrain_images
        self.images_seen += hr.shape[0]
        if pretraining:
            return None  # SRResNet pre-training: G alone, in the G step (which gets no carry)
        with self.autocast():
            fake = self.G(lr)  # carried with its graph to the G step
            real_logits = self.D(hr).float()
            fake_logits = self.D(fake.detach()).float()
        adv = self.d_loss_fn(real_logits, fake_logits, self.real_target)
        out = {"d_loss": adv.detach(), **self._probs(real_logits, fake_logits, self.loss_name)}
        return PhaseLoss(adv, out, carry=fake)

    def _content(self, fake: Tensor, hr: Tensor) -> Tensor:
        kind = self.cfg.i2i.content_loss
        if kind == "l1":
            return R.l1(fake.float(), hr.float())
        if kind == "mse":
            return R.mse(fake.float(), hr.float())
        net = self.vgg if kind == "vgg" else self.D.features
        with self.autocast():
            with torch.no_grad():
                target = net(hr)
            phi = net(fake)
        scale = VGG_RESCALE if kind == "vgg" else 1.0
        return R.feature_mse(phi.float(), target.float(), scale)

    def g_loss(self, batch: Batch, gen: torch.Generator, measure: bool, carry: Any) -> PhaseLoss:
        lr, hr = batch
        fake = carry
        # The D phase carries G's output except while it skips itself: during the pre-training.
        if fake is None:
            with self.autocast():
                fake = self.G(lr)
            loss = R.mse(fake.float(), hr.float())
            out = {"g_loss": loss.detach(), "content": loss.detach()}
        else:
            with self.autocast():
                adv = self.g_loss_fn(self.D(fake).float())
            content = self._content(fake, hr)
            loss = content + self.adv_weight * adv
            out = {"g_loss": loss.detach(), "g_adv": adv.detach(), "content": content.detach()}
        if measure:
            out.update(self._fidelity(fake, hr))
        return PhaseLoss(loss, out)

    # ------------------------------------------------------------------ sample grids
    def fixed_inputs(self, n: int, seed: int) -> dict[str, Tensor]:
        hr = self._center(self.hr, self._examples(n, len(self.hr)))
        return {"lr": self._lr(hr).float(), "hr": hr}

    @torch.no_grad()
    def generate(self, nets: dict[str, nn.Module], inputs: dict[str, Tensor]) -> Tensor:
        """LR (shown at the HR size, nearest neighbour) | G(LR) | HR."""
        lr, hr = inputs["lr"], inputs["hr"]
        shown = lr.repeat_interleave(self.scale, dim=2).repeat_interleave(self.scale, dim=3)
        return interleave(shown, nets["G"](lr).float(), hr)
