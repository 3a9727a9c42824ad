"""pix2pix as a task: Isola, Zhu, Zhou & Efros 2017, "Image-to-Image Translation with Conditional
Adversarial Networks" (CVPR, arXiv:1611.07004).

Objective (eq. 4): G* = arg min_G max_D L_cGAN(G, D) + lambda L_L1(G), lambda = 100, with the
conditional GAN loss of eq. 1: D sees the input x next to either the target y or G(x) and judges
each 70x70 patch (models/patchgan.py). G is a U-Net with dropout as its noise (models/unet.py).
Training details of section 3.3 kept here: the non-saturating G loss (maximise log D(x, G(x))),
D's objective divided by 2 "which slows down the rate at which D learns relative to G", Adam
2e-4 (0.5, 0.999) (the preset). Batches are paired random crops with shared flips
(``data/i2i/domains.py``).

Logged (metrics.csv): d_loss (before the halving), g_loss (the full G objective), g_adv, l1, and
every ``log_every`` images the PSNR / SSIM of the batch's outputs against their targets.

Deviation: the paper keeps dropout (and test-batch statistics) at inference; ``translate``, ``eval``
and ``export`` run G in eval mode, deterministic per image (see ``ganforge/inference/translator.py``).
The adversarial weight is ``I2ITask.paper_adv_weight`` (1 unless set; 0 gives the L1-only
ablation of the paper's table 1).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from ganforge.config import Config
from ganforge.data.dataset import ImageData
from ganforge.data.i2i.domains import TwoDomainData, plan_crops
from ganforge.data.loader import IndexSampler
from ganforge.losses import reconstruction as R
from ganforge.models.patchgan import PatchDiscriminator
from ganforge.tasks.base import PhaseLoss
from ganforge.tasks.i2i.base import I2ITask, interleave
from ganforge.tasks.optim import make_optimizer

Batch = tuple[Tensor, Tensor]  # (input A, target B), (B, C, S, S) each in [-1, 1]


class Pix2PixTask(I2ITask):
    """Paired translation (Isola et al. 2017): U-Net G, conditional PatchGAN D, cGAN + L1 loss."""

    extra_columns = ("g_adv", "l1", "psnr", "ssim")
    default_generator = "unet"
    default_norm = "batch"
    default_loss = "nonsaturating"

    def __init__(
        self, cfg: Config, data: TwoDomainData, device: torch.device, precision: str = "fp32"
    ) -> None:
        super().__init__(cfg, data, device, precision)
        self.G = self.build_generator(cfg)
        # D is conditional: it judges the input and the output side by side (2C channels).
        c = cfg.data.channels
        self.D = PatchDiscriminator(2 * c, cfg.model.d_width, cfg.i2i.d_layers, self.norm_of(cfg))
        self._place(self.G, self.D)
        self.opt_g = make_optimizer(self.G.parameters(), cfg.g_optim)
        self.opt_d = make_optimizer(self.D.parameters(), cfg.d_optim)
        self.a, self.b = data.sources.to(device), data.images.to(device)
        self.sampler = IndexSampler(len(data), cfg.train.batch_size, cfg.train.seed)

    @classmethod
    def check_config(cls, cfg: Config) -> None:
        super().check_config(cfg)
        cls.check_translation(cfg)

    @classmethod
    def load_data(cls, cfg: Config) -> ImageData:
        return cls.load_domains(cfg, "pairs")

    @property
    def generators(self) -> dict[str, nn.Module]:
        return {"G": self.G}

    @property
    def discriminators(self) -> dict[str, nn.Module]:
        return {"D": self.D}

    def draw(self) -> Tensor:
        return self.sampler.next()

    def make_batch(self, draw: Tensor, gen: torch.Generator) -> Batch:
        idx = draw.to(self.device)
        plan = plan_crops(len(idx), self.load, self.size, self.hflip, gen, self.device)
        return self._crops(self.a, idx, gen, plan), self._crops(self.b, idx, gen, plan)

    # ------------------------------------------------------------------ phases
    def d_loss(self, batch: Batch, gen: torch.Generator, measure: bool, carry: Any) -> PhaseLoss:
        a, b = batch
        with self.autocast():
            fake = self.G(a)  # carried with its graph to the G step
            real_logits = self.D(torch.cat([a, b], dim=1)).float()
            fake_logits = self.D(torch.cat([a, fake.detach()], dim=1)).float()
        adv = self.d_loss_fn(real_logits, fake_logits, self.real_target)
        out = {"d_loss": adv.detach(), **self._probs(real_logits, fake_logits, self.loss_name)}
        # "we divide the objective by 2 while optimizing D" (sec. 3.3)
        return PhaseLoss(0.5 * adv, out, carry=fake)

    def g_loss(self, batch: Batch, gen: torch.Generator, measure: bool, carry: Any) -> PhaseLoss:
        a, b = batch
        fake = carry
        with self.autocast():
            if fake is None:
                fake = self.G(a)
            logits = self.D(torch.cat([a, fake], dim=1)).float()
        adv = self.g_loss_fn(logits)
        l1 = R.l1(fake.float(), b.float())
        loss = self.adv_weight * adv + self.cfg.i2i.lambda_l1 * l1
        out = {"g_loss": loss.detach(), "g_adv": adv.detach(), "l1": l1.detach()}
        if measure:
            out.update(self._fidelity(fake, b))
        return PhaseLoss(loss, out)

    # ------------------------------------------------------------------ sample grids
    def fixed_inputs(self, n: int, seed: int) -> dict[str, Tensor]:
        """The first examples, centre-cropped and unflipped: every grid of a run shows the same."""
        k = self._examples(n, len(self.a))
        return {"a": self._center(self.a, k), "b": self._center(self.b, k)}

    @torch.no_grad()
    def generate(self, nets: dict[str, nn.Module], inputs: dict[str, Tensor]) -> Tensor:
        a, b = inputs["a"], inputs["b"]
        return interleave(a, nets["G"](a).float(), b)
