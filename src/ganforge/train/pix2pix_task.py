"""pix2pix as a task: Isola, Zhu, Zhou & Efros 2017, "Image-to-Image Translation with Conditional
Adversarial Networks" (CVPR, arXiv:1611.07004).

Objective (eq. 4): G* = arg min_G max_D L_cGAN(G, D) + lambda L_L1(G), lambda = 100, with the
conditional GAN loss of eq. 1: D sees the input x next to either the target y or G(x) and judges
each 70x70 patch (models/patchgan.py). G is a U-Net with dropout as its noise (models/unet.py).
Training details of section 3.3 kept here: the non-saturating G loss (maximise log D(x, G(x))),
D's objective divided by 2 "which slows down the rate at which D learns relative to G", Adam
2e-4 (0.5, 0.999) (the preset). Batches are paired random crops with shared flips
(``data/domains.py``).

Logged (metrics.csv): d_loss (before the halving), g_loss (the full G objective), g_adv, l1, and
every ``log_every`` images the PSNR / SSIM of the batch's outputs against their targets.

Deviation: the paper keeps dropout (and test-batch statistics) at inference; ``translate``, ``eval``
and ``export`` run G in eval mode, deterministic per image (see ``ganforge/inference.py``).
The adversarial weight is ``config_i2i.adv_weight_of`` (1 unless set; 0 gives the L1-only
ablation of the paper's table 1).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from ganforge.config import Config
from ganforge.data.domains import TwoDomainData, plan_crops
from ganforge.data.loader import IndexSampler
from ganforge.losses import reconstruction as R
from ganforge.models.i2i import build_i2i_discriminator, build_i2i_generator
from ganforge.train.gan_task import make_optimizer
from ganforge.train.i2i_task import I2ITask, grad_norm, interleave

Batch = tuple[Tensor, Tensor]  # (input A, target B), (B, C, S, S) each in [-1, 1]


class Pix2PixTask(I2ITask):
    log_columns = ("g_adv", "l1", "psnr", "ssim")

    def __init__(
        self, cfg: Config, data: TwoDomainData, device: torch.device, precision: str = "fp32"
    ) -> None:
        super().__init__(cfg, data, device, precision)
        self.G, self.D = build_i2i_generator(cfg), build_i2i_discriminator(cfg)
        self._place(self.G, self.D)
        self.opt_g = make_optimizer(self.G.parameters(), cfg.g_optim)
        self.opt_d = make_optimizer(self.D.parameters(), cfg.d_optim)
        self.a, self.b = data.sources.to(device), data.images.to(device)
        self.sampler = IndexSampler(len(data), cfg.train.batch_size, cfg.train.seed)
        self._fake: Tensor | None = None

    @property
    def nets(self) -> dict[str, nn.Module]:
        return {"G": self.G, "D": self.D}

    @property
    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"G": self.opt_g, "D": self.opt_d}

    def extra_state(self) -> dict[str, Any]:
        return {"d_steps": self.d_steps, "sampler": self.sampler.state_dict()}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        self.d_steps = int(state["d_steps"])
        self.sampler.load_state_dict(state["sampler"])

    def make_batch(self, gen: torch.Generator) -> Batch:
        idx = self.sampler.next().to(self.device)
        plan = plan_crops(len(idx), self.load, self.size, self.hflip, gen, self.device)
        return self._crops(self.a, idx, gen, plan), self._crops(self.b, idx, gen, plan)

    # ------------------------------------------------------------------ phases
    def d_step(self, batch: Batch, gen: torch.Generator, measure: bool) -> dict[str, Tensor]:
        a, b = batch
        with self.autocast():
            fake = self.G(a)  # kept with its graph for the G step
            real_logits = self.D(torch.cat([a, b], dim=1)).float()
            fake_logits = self.D(torch.cat([a, fake.detach()], dim=1)).float()
        self._fake = fake
        adv = self.d_loss_fn(real_logits, fake_logits, self.real_target)
        self.opt_d.zero_grad(set_to_none=True)
        (0.5 * adv).backward()  # "we divide the objective by 2 while optimizing D" (sec. 3.3)
        out = {"d_loss": adv.detach(), **self._probs(real_logits, fake_logits, self.loss_name)}
        if measure:
            out["d_grad_norm"] = grad_norm(self.D)
        self.opt_d.step()
        self.d_steps += 1
        return out

    def g_step(self, batch: Batch, gen: torch.Generator, measure: bool) -> dict[str, Tensor]:
        a, b = batch
        fake, self._fake = self._fake, None
        self.D.requires_grad_(False)
        try:
            with self.autocast():
                if fake is None:
                    fake = self.G(a)
                logits = self.D(torch.cat([a, fake], dim=1)).float()
            adv = self.g_loss_fn(logits)
            l1 = R.l1(fake.float(), b.float())
            i2i = self.cfg.i2i
            loss = self.adv_weight * adv + i2i.lambda_l1 * l1
            self.opt_g.zero_grad(set_to_none=True)
            loss.backward()
        finally:
            self.D.requires_grad_(True)
        out = {"g_loss": loss.detach(), "g_adv": adv.detach(), "l1": l1.detach()}
        if measure:
            out.update(self._fidelity(fake, b), g_grad_norm=grad_norm(self.G))
        self.opt_g.step()
        return out

    # ------------------------------------------------------------------ sample grids
    def fixed_inputs(self, n: int, seed: int) -> dict[str, Tensor]:
        """The first examples, centre-cropped and unflipped: every grid of a run shows the same."""
        k = self._examples(n, len(self.a))
        return {"a": self._center(self.a, k), "b": self._center(self.b, k)}

    @torch.no_grad()
    def generate(self, G: nn.Module, inputs: dict[str, Tensor]) -> Tensor:
        a, b = inputs["a"], inputs["b"]
        return interleave(a, G(a).float(), b)
