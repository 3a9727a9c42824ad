"""CycleGAN as a task: Zhu, Park, Isola & Efros 2017, "Unpaired Image-to-Image Translation using
Cycle-Consistent Adversarial Networks" (ICCV, arXiv:1703.10593).

Two generators G: X -> Y and F: Y -> X (models/cyclegan.py) and two PatchGAN discriminators, D_Y
judging domain B = Y and D_X judging domain A = X. Full objective (eq. 3):

    L(G, F, D_X, D_Y) = L_GAN(G, D_Y, X, Y) + L_GAN(F, D_X, Y, X) + lambda L_cyc(G, F)

with L_cyc = E|F(G(x)) - x|_1 + E|G(F(y)) - y|_1 (eq. 2), lambda = 10, plus the identity loss
0.5 lambda (E|G(y) - y|_1 + E|F(x) - x|_1) of section 5.2. Section 4, "Training details": the
least-squares GAN loss (loss.name=lsgan), D's objective divided by 2 (the 1/2 of ``d_lsgan``),
discriminators updated from a history of the 50 last generated images (``image_pool.py``), Adam
2e-4 (0.5, 0.999) kept for the first half of training and decayed linearly to zero over the second
(train.lr_schedule=linear). As in the reference code, one optimizer updates G and F together and
one updates D_X and D_Y together.

Logged: d_loss (D_Y's + D_X's), d_real / d_fake (D_Y's outputs), g_loss (the full objective),
g_adv, cycle and identity (unweighted L1 sums), cycle_error (the mean of |F(G(x)) - x| and
|G(F(y)) - y| in [0, 1] units, the reconstruction error ``ganforge eval`` reports).
"""

from __future__ import annotations

import itertools
from typing import Any

import torch
from torch import Tensor, nn

from ganforge.config import Config
from ganforge.config.i2i import PAPER_DEFAULT
from ganforge.data.dataset import ImageData
from ganforge.data.i2i.domains import SamplerPair, TwoDomainData
from ganforge.inference.translator import Translator
from ganforge.losses import reconstruction as R
from ganforge.models.patchgan import PatchDiscriminator
from ganforge.tasks.base import PhaseLoss
from ganforge.tasks.i2i.base import I2ITask, interleave
from ganforge.tasks.i2i.image_pool import ImagePool
from ganforge.tasks.optim import make_optimizer

Batch = tuple[Tensor, Tensor]  # (a from X, b from Y), unrelated images


class CycleGANTask(I2ITask):
    """Unpaired translation (Zhu et al. 2017): G and F, two PatchGANs, LSGAN + cycle loss."""

    ema_targets = ("G", "F")
    extra_columns = ("g_adv", "cycle", "identity", "cycle_error")
    columns_per_example = 6  # a | G(a) | F(G(a)) | b | F(b) | G(F(b))
    default_generator = "resnet"
    default_norm = "instance"
    default_loss = "lsgan"  # section 4: the least-squares GAN loss

    def __init__(
        self, cfg: Config, data: TwoDomainData, device: torch.device, precision: str = "fp32"
    ) -> None:
        super().__init__(cfg, data, device, precision)
        self.G, self.F = self.build_generator(cfg), self.build_generator(cfg)
        c, norm = cfg.data.channels, self.norm_of(cfg)
        self.D_Y = PatchDiscriminator(c, cfg.model.d_width, cfg.i2i.d_layers, norm)
        self.D_X = PatchDiscriminator(c, cfg.model.d_width, cfg.i2i.d_layers, norm)
        self._place(self.G, self.F, self.D_Y, self.D_X)
        self.opt_g = make_optimizer(
            itertools.chain(self.G.parameters(), self.F.parameters()), cfg.g_optim
        )
        self.opt_d = make_optimizer(
            itertools.chain(self.D_Y.parameters(), self.D_X.parameters()), cfg.d_optim
        )
        self.a, self.b = data.sources.to(device), data.images.to(device)
        B, seed = cfg.train.batch_size, cfg.train.seed
        self.sampler = SamplerPair(len(self.a), len(self.b), B, seed)
        self.pool_b = ImagePool(cfg.i2i.pool_size, seed + 101)  # fakes G(a), shown to D_Y
        self.pool_a = ImagePool(cfg.i2i.pool_size, seed + 102)  # fakes F(b), shown to D_X

    @classmethod
    def paper_adv_weight(cls, cfg: Config) -> float:
        """2 with the lsgan loss: ganforge's lsgan G loss is (D - 1)^2 / 2, the paper's has no
        1/2 (Zhu et al.'s E[(D(G(x)) - 1)^2]); 1 with any other loss."""
        if cfg.i2i.adv_weight != PAPER_DEFAULT:
            return cfg.i2i.adv_weight
        return 2.0 if cls.paper_loss(cfg) == "lsgan" else 1.0

    @classmethod
    def check_config(cls, cfg: Config) -> None:
        super().check_config(cfg)
        cls.check_translation(cfg)

    @classmethod
    def load_data(cls, cfg: Config) -> ImageData:
        return cls.load_domains(cfg, "unpaired")

    @property
    def generators(self) -> dict[str, nn.Module]:
        return {"G": self.G, "F": self.F}

    @property
    def discriminators(self) -> dict[str, nn.Module]:
        return {"D_Y": self.D_Y, "D_X": self.D_X}

    def extra_state(self) -> dict[str, Any]:
        return {
            **super().extra_state(),
            "pool_a": self.pool_a.state_dict(),
            "pool_b": self.pool_b.state_dict(),
        }

    def load_extra_state(self, state: dict[str, Any]) -> None:
        super().load_extra_state(state)
        self.pool_a.load_state_dict(state["pool_a"], self.device)
        self.pool_b.load_state_dict(state["pool_b"], self.device)

    def draw(self) -> tuple[Tensor, Tensor]:
        return self.sampler.next()

    def make_batch(self, draw: tuple[Tensor, Tensor], gen: torch.Generator) -> Batch:
        ia, ib = draw
        return self._crops(self.a, ia.to(self.device), gen), self._crops(
            self.b, ib.to(self.device), gen
        )

    # ------------------------------------------------------------------ inference
    @classmethod
    def network_for(cls, cfg: Config, direction: str) -> str:
        """G maps the run's own direction, F the other."""
        return "G" if direction == cfg.i2i.direction else "F"

    @classmethod
    def reverse_of(cls, run: Any) -> Translator:
        tr = run.model
        other = "BtoA" if tr.direction == "AtoB" else "AtoB"
        device = next(tr.net.parameters()).device
        reverse, _ = cls.open(run.cfg, run.state, run.used_ema, device, direction=other)
        return reverse

    # ------------------------------------------------------------------ phases
    def d_loss(self, batch: Batch, gen: torch.Generator, measure: bool, carry: Any) -> PhaseLoss:
        a, b = batch
        with self.autocast():
            fake_b, fake_a = self.G(a), self.F(b)  # carried with their graphs to the G step
        old_b = self.pool_b.query(fake_b.detach().float())
        old_a = self.pool_a.query(fake_a.detach().float())
        with self.autocast():
            real_y, fake_y = self.D_Y(b).float(), self.D_Y(old_b).float()
            real_x, fake_x = self.D_X(a).float(), self.D_X(old_a).float()
        loss_y = self.d_loss_fn(real_y, fake_y, self.real_target)
        loss_x = self.d_loss_fn(real_x, fake_x, self.real_target)
        loss = loss_y + loss_x  # disjoint parameters: one backward is each D's own gradient
        out = {"d_loss": loss.detach(), **self._probs(real_y, fake_y, self.loss_name)}
        return PhaseLoss(loss, out, carry=(fake_b, fake_a))

    def g_loss(self, batch: Batch, gen: torch.Generator, measure: bool, carry: Any) -> PhaseLoss:
        a, b = batch
        i2i = self.cfg.i2i
        with self.autocast():
            fake_b, fake_a = carry if carry is not None else (self.G(a), self.F(b))
            rec_a, rec_b = self.F(fake_b), self.G(fake_a)
            adv = self.g_loss_fn(self.D_Y(fake_b).float()) + self.g_loss_fn(
                self.D_X(fake_a).float()
            )
            if i2i.lambda_identity > 0:
                same_b, same_a = self.G(b), self.F(a)
        # The L1 terms in full precision, whatever autocast computed the images in.
        a32, b32 = a.float(), b.float()
        cyc = R.cycle(a32, rec_a.float(), b32, rec_b.float())
        loss = self.adv_weight * adv + i2i.lambda_cycle * cyc
        out = {"g_adv": adv.detach(), "cycle": cyc.detach()}
        if i2i.lambda_identity > 0:
            idt = R.identity(a32, same_a.float(), b32, same_b.float())
            loss = loss + i2i.lambda_identity * i2i.lambda_cycle * idt
            out["identity"] = idt.detach()
        # Each L1 above is a mean over [-1, 1] pixels: /2 per direction for [0, 1] units, /2 more
        # for the mean of the two directions.
        out.update(g_loss=loss.detach(), cycle_error=cyc.detach() / 4)
        return PhaseLoss(loss, out)

    # ------------------------------------------------------------------ sample grids
    def fixed_inputs(self, n: int, seed: int) -> dict[str, Tensor]:
        k = self._examples(n, min(len(self.a), len(self.b)))
        return {"a": self._center(self.a, k), "b": self._center(self.b, k)}

    @torch.no_grad()
    def generate(self, nets: dict[str, nn.Module], inputs: dict[str, Tensor]) -> Tensor:
        """a | G(a) | F(G(a)) | b | F(b) | G(F(b)) from the sample copies of G and F."""
        G, F = nets["G"], nets["F"]
        a, b = inputs["a"], inputs["b"]
        fake_b, fake_a = G(a).float(), F(b).float()
        return interleave(a, fake_b, F(fake_b).float(), b, fake_a, G(fake_a).float())
