"""The modern GAN as a task: R3GAN (Huang, Gokaslan, Kuleshov & Tompkin 2024, "The GAN is dead;
long live the GAN! A Modern GAN Baseline", arXiv 2501.05441).

Objective (the paper's RpGAN + R1 + R2): with the relativistic pairing loss of Jolicoeur-Martineau
(2018),

    L_D = E softplus(-(D(x) - D(G(z)))) + gamma / 2 * (R1 + R2),
    L_G = E softplus(-(D(G(z)) - D(x))),

R1 = E||grad_x D(x)||^2 on reals and R2 the same on fakes (losses/relativistic.py,
losses/penalties.py). The networks are a ResNet of inverted bottlenecks with grouped 3x3
convolutions and no normalisation, fix-up initialised, bilinear resampling, a learned basis in G
and no tanh (models/r3gan.py); class-conditional runs embed the class into z and project D's
features on it. Learning rate, Adam beta2, gamma, the EMA half-life and (with a fixed ADA policy)
the augmentation probability follow cosine burn-in schedules of images seen (tasks/burnin.py) that
``hyperparameters`` hands the Trainer; augmentation of what D sees is the GAN task's
(``augment.*``, ganforge/augment), so DiffAugment and adaptive ADA work here too.

What the GAN task provides is kept: data on the device, class labels, flips, sharded draws under
torchrun, sample grids (any size and aspect, RGBA included), evaluation during training and
``open`` as a ``NoiseGenerator``. The output has no tanh: samples are clamped to [-1, 1] only when
they become pixels (``images.to_uint8``).

Fast path and its twin: the D step runs D once on the concatenated real and fake batch and takes
R1 and R2 from one gradient of the summed logits (no normalisation layers, so samples do not
interact: the result equals two D calls); ``reference_d_objective`` is the plain two-call twin
that tests/tasks/test_r3gan.py checks it against.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from ganforge.config import AugmentConfig, Config, ProjectedConfig, R3GANConfig
from ganforge.errors import GanforgeError
from ganforge.evaluation.training import eval_plan
from ganforge.losses.penalties import r1_penalty, r2_penalty
from ganforge.losses.relativistic import d_rpgan, g_rpgan
from ganforge.models.r3gan import R3Discriminator, R3Generator, basis_size, stage_plan
from ganforge.tasks.base import PhaseLoss
from ganforge.tasks.burnin import cosine_schedule
from ganforge.tasks.gan import Batch, GANTask, check_discriminator

R3_COLUMNS = (
    "d_loss",
    "g_loss",
    "d_real",
    "d_fake",
    "r1",
    "r2",
    "gamma",
    "d_grad_norm",
    "g_grad_norm",
)
"""metrics.csv columns of the phases: the losses, D's raw scores, both penalties, the scheduled
gamma and the gradient norms."""


def networks(cfg: Config, num_classes: int) -> tuple[R3Generator, R3Discriminator]:
    """G and D of ``cfg`` (``r3gan.*``, ``model.z_dim``, ``model.g_width``/``d_width`` as the
    full-resolution widths when ``r3gan.widths`` is empty)."""
    r, (h, w), c = cfg.r3gan, cfg.data.size, cfg.data.channels
    k = num_classes if cfg.model.conditional != "none" else 0
    g_widths = list(r.widths) or stage_plan(h, w, cfg.model.g_width, r.max_width)
    d_widths = list(r.widths) or stage_plan(h, w, cfg.model.d_width, r.max_width)
    common = dict(blocks_per_stage=r.blocks, group_width=r.group_width, expansion=r.expansion)
    G = R3Generator(cfg.model.z_dim, c, h, w, g_widths, num_classes=k, **common)
    D = R3Discriminator(c, h, w, d_widths, num_classes=k, **common)
    return G, D


def d_objective(
    D: nn.Module,
    real: Tensor,
    fake: Tensor,
    y: Tensor | None,
    gamma: float,
    augment: Callable[[Tensor], Tensor] = lambda x: x,
) -> tuple[Tensor, Tensor, Tensor, Tensor | None, Tensor | None]:
    """D's R3GAN objective -> (loss, D(x), D(G(z)), R1, R2); gamma 0 skips the penalties.

    The fast path: one D call on [reals; fakes] (2B samples) and one gradient of the summed
    logits for both penalties. D has no normalisation layers, so no sample affects another's
    logit and this equals two calls; ``reference_d_objective`` is that plain twin. Gradients
    are taken with respect to the un-augmented samples, as in the official code.
    """
    if gamma:
        real = real.detach().requires_grad_(True)
        fake = fake.detach().requires_grad_(True)
    both = torch.cat([augment(real), augment(fake)])  # (2B, C, H, W)
    logits = D(both, None if y is None else torch.cat([y, y])).float()  # (2B,)
    real_logits, fake_logits = logits.chunk(2)
    loss = d_rpgan(real_logits, fake_logits)
    if not gamma:
        return loss, real_logits, fake_logits, None, None
    g_real, g_fake = torch.autograd.grad(logits.sum(), [real, fake], create_graph=True)
    r1 = g_real.float().square().flatten(1).sum(1).mean()
    r2 = g_fake.float().square().flatten(1).sum(1).mean()
    return loss + 0.5 * gamma * (r1 + r2), real_logits, fake_logits, r1, r2


def reference_d_objective(
    D: nn.Module, real: Tensor, fake: Tensor, y: Tensor | None, gamma: float
) -> tuple[Tensor, Tensor, Tensor]:
    """The plain twin of ``d_objective``: two D calls and losses/penalties.py's R1 and R2."""
    real = real.detach().requires_grad_(True)
    fake = fake.detach().requires_grad_(True)
    real_logits, fake_logits = D(real, y).float(), D(fake, y).float()
    r1, r2 = r1_penalty(real_logits, real), r2_penalty(fake_logits, fake)
    return d_rpgan(real_logits, fake_logits) + 0.5 * gamma * (r1 + r2), r1, r2


class R3GANTask(GANTask):
    """The modern GAN (R3GAN, Huang et al. 2024): RpGAN + R1 + R2, a normalisation-free ResNet."""

    sections = {"augment": AugmentConfig, "projected": ProjectedConfig, "r3gan": R3GANConfig}
    log_columns = R3_COLUMNS
    extra_columns: tuple[str, ...] = ()

    def __init__(
        self, cfg: Config, data: Any, device: torch.device, precision: str = "fp32"
    ) -> None:
        super().__init__(cfg, data, device, precision)
        self.hyperparameters(0)  # the schedules at image 0 (the Trainer updates them per step)

    def graph_problem(self) -> str | None:
        return "R3GAN's schedules are set from the host every iteration"

    # ------------------------------------------------------------------ networks (GANTask hooks)
    @classmethod
    def generator_for(cls, cfg: Config, num_classes: int) -> nn.Module:
        return networks(cfg, num_classes)[0]

    @classmethod
    def own_discriminator(cls, cfg: Config, num_classes: int) -> nn.Module:
        return networks(cfg, num_classes)[1]

    # ------------------------------------------------------------------ config
    @classmethod
    def check_config(cls, cfg: Config) -> None:
        m, d, lc = cfg.model, cfg.data, cfg.loss
        if d.is_toy:
            raise GanforgeError("model.task=r3gan generates images: data.source cannot be a toy")
        try:
            basis_size(*d.size)
        except GanforgeError as e:
            raise GanforgeError(f"data.resolution={d.resolution}: {e}") from None
        if m.conditional == "concat":
            raise GanforgeError(
                "model.task=r3gan conditions by projection (the class embedding joins z in G and "
                "is projected on D's features): set model.conditional=projection"
            )
        if lc.name not in ("auto", "relativistic"):
            raise GanforgeError(
                f"model.task=r3gan trains the relativistic pairing loss: set loss.name=auto, "
                f"not {lc.name}"
            )
        if lc.gp_weight or lc.clip or lc.r1_gamma or lc.label_smoothing:
            raise GanforgeError(
                "model.task=r3gan regularises with r3gan.gamma (R1 + R2): set loss.gp_weight, "
                "loss.clip, loss.r1_gamma and loss.label_smoothing to 0"
            )
        if cfg.runtime.compile:
            raise GanforgeError(
                "model.task=r3gan differentiates D's gradient every step (R1, R2), which "
                "torch.compile cannot: set runtime.compile=false"
            )
        check_discriminator(cfg)
        if cfg.train.eval_every > 0:
            eval_plan(cfg)

    @staticmethod
    def paper_loss(cfg: Config) -> str:
        return "relativistic"

    # ------------------------------------------------------------------ schedules
    def hyperparameters(self, images_seen: int) -> dict[str, Any]:
        """The burn-in schedules after ``images_seen`` images (official cosine_decay_with_warmup)."""
        r = self.cfg.r3gan
        now = {
            k: cosine_schedule(images_seen, *getattr(r, k), r.burnin_images)
            for k in ("lr", "beta2", "gamma", "ema_halflife", "aug_p")
        }
        self._now = now
        betas = {
            "G": (self.cfg.g_optim.betas[0], now["beta2"]),
            "D": (self.cfg.d_optim.betas[0], now["beta2"]),
        }
        fixed_ada = self.cfg.augment.policy == "ada" and not self.cfg.augment.ada_adaptive
        if self.augment is not None and fixed_ada and r.aug_p != [0.0, 0.0]:
            self.augment.controller.set_p(now["aug_p"])  # R3GAN's schedule instead of feedback
        return {
            "lr": {"G": now["lr"], "D": now["lr"]},
            "betas": betas,
            "ema_halflife": now["ema_halflife"],
        }

    # ------------------------------------------------------------------ phases
    def _fakes(self, real: Tensor, y: Tensor | None, gen: torch.Generator) -> Tensor:
        z = self.noise(real.shape[0], gen)
        with self.autocast():
            if self.reuse_fake:  # the G step differentiates this same forward pass
                return self.G_train(z, y)
            with torch.no_grad():
                return self.G_fast(z, y)

    def d_loss(self, batch: Batch, gen: torch.Generator, measure: bool, carry: Any) -> PhaseLoss:
        """RpGAN + gamma / 2 * (R1 + R2) (``d_objective``), with R1 + R2 every ``reg_every``
        steps, weighted by it (lazy regularisation). With one D step per G step it carries the
        fake batch, with G's graph, to the G phase."""
        real, y = batch
        y = self._labels(y)
        made = self._fakes(real, y, gen)
        fake = made.detach()
        reg_every = self.cfg.r3gan.reg_every
        gamma = self._now["gamma"] * reg_every if self.d_steps % reg_every == 0 else 0.0
        with self.autocast():
            loss, real_logits, fake_logits, r1, r2 = d_objective(
                self.D if gamma else self.D_train, real, fake, y, gamma, lambda x: self.aug(x, gen)
            )
        if self.augment is not None:
            self.augment.observe(real_logits.detach())
        out = {
            "d_loss": d_rpgan(real_logits, fake_logits).detach(),
            "gamma": torch.full((), self._now["gamma"], device=loss.device),
            "d_real": real_logits.detach().mean(),  # raw scores: RpGAN has no probability
            "d_fake": fake_logits.detach().mean(),
        }
        if gamma:
            out.update(r1=r1.detach(), r2=r2.detach())
        out.update(self._aug_scalars())
        return PhaseLoss(loss, out, carry=(made, y) if self.reuse_fake else None)

    def g_loss(self, batch: Batch, gen: torch.Generator, measure: bool, carry: Any) -> PhaseLoss:
        """RpGAN's G side, against D's scores of a real batch (D frozen)."""
        real, y = batch
        y = self._labels(y)
        with self.autocast():
            if carry is not None:
                fake, y = carry
            else:
                fake = self.G_train(self.noise(real.shape[0], gen), y)
            with torch.no_grad():  # the pairing needs D(x); no gradient flows into it
                real_logits = self.D_fast(self.aug(real, gen), y).float()
            fake_logits = self.D_fast(self.aug(fake, gen), y).float()
        loss = g_rpgan(real_logits, fake_logits)
        return PhaseLoss(loss, {"g_loss": loss.detach()})
