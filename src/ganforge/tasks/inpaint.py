"""Inpainting as a task: fill in what is missing from an image.

- Pathak, Krahenbuhl, Donahue, Darrell & Efros 2016, "Context Encoders: Feature Learning by
  Inpainting" (CVPR): an encoder-decoder trained with a reconstruction loss on the hole plus an
  adversarial loss, L = lambda_rec L_rec + lambda_adv L_adv.
- Iizuka, Simo-Serra & Ishikawa 2017, "Globally and Locally Consistent Image Completion"
  (SIGGRAPH): a global and a local discriminator (the local one sees a patch around the hole),
  for rectangular holes.
- Yu, Lin, Yang, Shen, Lu & Huang 2019, "Free-Form Image Inpainting with Gated Convolution"
  (ICCV): gated convolutions, free-form brush-stroke masks, SN-PatchGAN with the hinge loss.
- Liu, Reda, Shih, Wang, Tao & Catanzaro 2018, "Image Inpainting for Irregular Holes Using Partial
  Convolutions" (ECCV): partial convolutions; the L1 loss weighted 6 on the hole, 1 elsewhere.

Objective. G(x (1 - M), M) -> y (models/inpainting.py, ``inpaint.generator``: gated or partial),
with M the mask (1 = missing). D judges the composite y M + x (1 - M) (``composite``: the known
pixels are the input's): SN-PatchGAN sees it with the mask, the global-local discriminator sees
it and a patch around the hole's box (``inpaint.discriminator``: auto picks global-local for
rectangles and SN-PatchGAN for strokes or a mix, as the papers pair them). Losses (losses/inpainting.py
and losses/adversarial.py):

    L_D = hinge (or loss.name) of D(x, M) against D(composite, M)
    L_G = hole_weight |M (y - x)|_1 / N + valid_weight |(1 - M)(y - x)|_1 / N
          + adv_weight L_adv(D(composite, M))

Masks are drawn on the fly for every batch (``inpaint.mask_kind``: strokes, rectangles or mixed, with
the share missing in [min_share, max_share]), from a pool drawn once per run (``inpaint.mask_pool``,
masks/pool.py) or afresh, with the Trainer's noise generator, which resume restores: resume is
exact. Logged: d_loss, g_loss, g_adv, rec (the weighted L1), missing (the share missing in the
batch), and at log steps the hole PSNR of the batch's fill (data range 2, in the model range).

Phases (``TwoPlayerTask``): the D phase runs G and carries y, with its graph, to the G phase.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from ganforge.config import Config, InpaintConfig
from ganforge.config.checks import choice
from ganforge.data import load_data
from ganforge.data.dataset import ImageData
from ganforge.data.loader import IndexSampler, to_model_range
from ganforge.errors import GanforgeError
from ganforge.evaluation.inpainting import evaluate_inpainter
from ganforge.evaluation.options import EvalOptions
from ganforge.inference.inpainter import Inpainter
from ganforge.losses.adversarial import LOSSES, discriminator_prob
from ganforge.losses.inpainting import masked_l1
from ganforge.masks import SAMPLERS
from ganforge.masks.bands import band_masks
from ganforge.masks.pool import MaskPool
from ganforge.masks.stats import bounding_boxes
from ganforge.models.inpainting import GatedGenerator, PartialConvUNet, composite
from ganforge.models.inpainting_discriminators import (
    GlobalLocalDiscriminator,
    SNPatchDiscriminator,
)
from ganforge.tasks.base import PhaseLoss, refuse_options
from ganforge.tasks.optim import make_optimizer
from ganforge.tasks.two_player import TwoPlayerTask
from ganforge.tasks.weights import load_weights, pick_weights

Batch = tuple[Tensor, Tensor, Tensor]
"""(image (B, C, H, W) in [-1, 1], mask (B, 1, H, W) 1 = missing, boxes (B, 4) int64)."""
EXAMPLES_PER_GRID = 16
POOL_SEED = 7919
"""The mask pool is drawn from ``train.seed + POOL_SEED``: apart from the data order's stream."""
GRID_BAND = "20-40"
"""The band of the fixed masks the sample grids show."""
KINDS = {"strokes": ("strokes",), "rectangles": ("rectangles",), "mixed": ("rectangles", "strokes")}
"""The mask samplers (ganforge.masks.SAMPLERS) of each ``inpaint.mask_kind``."""


def generator_for(cfg: Config) -> nn.Module:
    """The generator of ``inpaint.generator``, model.g_width wide."""
    i, c = cfg.inpaint, cfg.data.channels
    if i.generator == "gated":
        return GatedGenerator(c, cfg.model.g_width, i.stages, tuple(i.dilations))
    return PartialConvUNet(c, cfg.model.g_width, i.unet_depth, "batch")


def multiple_of(cfg: Config) -> int:
    """What the sides must be divisible by for the generator."""
    return (
        GatedGenerator.multiple if cfg.inpaint.generator == "gated" else 2**cfg.inpaint.unet_depth
    )


def discriminator_of(cfg: Config) -> str:
    """``inpaint.discriminator``, auto resolved by the mask kind (Iizuka et al.'s for boxes)."""
    d = cfg.inpaint.discriminator
    if d != "auto":
        return d
    return "global-local" if cfg.inpaint.mask_kind == "rectangles" else "sn-patch"  # strokes, mixed


def d_layers_of(cfg: Config) -> int:
    """Stride-2 layers of D: ``inpaint.d_layers``, or down to a 4x4 map."""
    short = min(cfg.data.size)
    return cfg.inpaint.d_layers or max(1, int(math.log2(short)) - 2)


class InpaintTask(TwoPlayerTask):
    """Image inpainting: a gated or partial-convolution G against SN-PatchGAN or global-local D."""

    sections = {"inpaint": InpaintConfig}
    extra_columns: ClassVar[tuple[str, ...]] = ("g_adv", "rec", "missing", "hole_psnr")
    columns_per_example = 3  # masked input | completed | original

    def __init__(self, cfg: Config, data: ImageData, device: torch.device, precision: str) -> None:
        fp16 = precision == "fp16"  # no gradient scaler tuned for this task: fp32 instead
        super().__init__(cfg, data, device, "fp32" if fp16 else precision)
        if fp16:
            self.notes.append("inpainting does not use fp16 (no gradient scaler): fp32")
        i = cfg.inpaint
        self.size = tuple(data.images.shape[-2:])
        if data.images.shape[1] != cfg.data.channels or self.size != tuple(cfg.data.size):
            raise GanforgeError(
                f"inpainting data of shape {tuple(data.images.shape[1:])} (C, H, W) does not fit "
                f"data.channels={cfg.data.channels} and data.resolution={cfg.data.resolution}"
            )
        self.G = generator_for(cfg).to(device)
        self.d_kind = discriminator_of(cfg)
        layers, c, w = d_layers_of(cfg), cfg.data.channels, cfg.model.d_width
        if self.d_kind == "sn-patch":
            self.D: nn.Module = SNPatchDiscriminator(c, w, layers)
        else:
            self.D = GlobalLocalDiscriminator(
                c, self.size, None, w, layers, max(1, layers - 1), fc=8 * w
            )
        self.D.to(device)
        self.opt_g = make_optimizer(self.G.parameters(), cfg.g_optim)
        self.opt_d = make_optimizer(self.D.parameters(), cfg.d_optim)
        self.loss_name = "hinge" if cfg.loss.name == "auto" else cfg.loss.name
        self.d_loss_fn, self.g_loss_fn = LOSSES[self.loss_name]
        self.real_target = 1.0 - cfg.loss.label_smoothing
        self.images = data.images.to(device)
        self.sampler = IndexSampler(len(data), cfg.train.batch_size, cfg.train.seed, device)
        self.kinds = KINDS[i.mask_kind]
        self.pool: MaskPool | None = None
        if i.mask_pool:
            # mixed: half the pool of each kind, each drawn from its own seed.
            share = -(-i.mask_pool // len(self.kinds))
            pools = [
                MaskPool.build(
                    SAMPLERS[kind],
                    share,
                    self.size,
                    i.min_share,
                    i.max_share,
                    cfg.train.seed + POOL_SEED + j,
                    device,
                ).masks
                for j, kind in enumerate(self.kinds)
            ]
            self.pool = MaskPool(torch.cat(pools))
        if cfg.runtime.compile:
            self.notes.append("runtime.compile: the inpainting task runs eagerly")

    # ------------------------------------------------------------------ config and data
    @classmethod
    def check_config(cls, cfg: Config) -> None:
        choice(cfg.loss.name, ("auto", *LOSSES), "loss.name")
        d, tc = cfg.data, cfg.train
        if d.is_toy:
            raise GanforgeError("model.task=inpaint fills images: data.source cannot be a toy set")
        m = multiple_of(cfg)
        h, w = d.size
        if h % m or w % m:
            raise GanforgeError(
                f"data.resolution={d.resolution} must have sides divisible by {m} for the "
                f"{cfg.inpaint.generator} generator"
                + (" (2^inpaint.unet_depth)" if cfg.inpaint.generator == "partial" else "")
            )
        if min(h, w) < 16:
            raise GanforgeError(
                f"data.resolution={d.resolution}: inpainting trains on sides of at least 16 px"
            )
        if 2 ** d_layers_of(cfg) > min(h, w):
            raise GanforgeError(
                f"inpaint.d_layers={cfg.inpaint.d_layers} halves the {min(h, w)} px side below "
                "one pixel: use fewer (0: from the image size)"
            )
        if tc.eval_every > 0:
            raise GanforgeError(
                "train.eval_every scores noise-to-image generators; an inpainting run logs the "
                "hole PSNR of its batches in metrics.csv, and `ganforge eval RUN` scores held-out "
                "images: set train.eval_every=0"
            )
        if cfg.loss.gp_weight > 0 or cfg.loss.r1_gamma > 0 or cfg.loss.clip > 0:
            raise GanforgeError(
                "model.task=inpaint does not use loss.gp_weight, r1_gamma or clip: set them to 0"
            )

    @classmethod
    def load_data(cls, cfg: Config) -> ImageData:
        data = load_data(cfg.data, cfg.train.seed, ("images",), task=cfg.model.task)
        data.report.update(task=cfg.model.task)
        return data

    # ------------------------------------------------------------------ what the Trainer steps
    @property
    def generators(self) -> dict[str, nn.Module]:
        return {"G": self.G}

    @property
    def discriminators(self) -> dict[str, nn.Module]:
        return {"D": self.D}

    def draw(self) -> Tensor:
        return self.sampler.next()

    def masks(self, n: int, gen: torch.Generator) -> tuple[Tensor, Tensor]:
        """``n`` training masks (n, 1, H, W) and their boxes, from the pool or drawn afresh."""
        if self.pool is not None:
            return self.pool.sample(n, gen)
        i = self.cfg.inpaint
        parts = [SAMPLERS[k](n, self.size, i.min_share, i.max_share, gen)[0] for k in self.kinds]
        mask = parts[0]
        if len(parts) == 2:  # mixed: one kind or the other per sample, even odds
            pick = torch.rand(n, 1, 1, 1, generator=gen, device=gen.device) < 0.5
            mask = torch.where(pick, parts[0], parts[1])
        return mask, bounding_boxes(mask)

    def make_batch(self, draw: Tensor, gen: torch.Generator) -> Batch:
        x = to_model_range(self.images[draw])
        n = x.shape[0]
        if self.cfg.data.hflip:
            u = torch.rand(n, 1, 1, 1, generator=gen, device=self.device)
            x = torch.where(u < 0.5, x.flip(3), x)
        mask, boxes = self.masks(n, gen)
        return x, mask, boxes

    def _d(self, image: Tensor, mask: Tensor, boxes: Tensor) -> Tensor:
        if self.d_kind == "sn-patch":
            return self.D(image, mask).float()
        return self.D(image, boxes).float()

    # ------------------------------------------------------------------ phases
    def d_loss(self, batch: Batch, gen: torch.Generator, measure: bool, carry: Any) -> PhaseLoss:
        x, mask, boxes = batch
        with self.autocast():
            fake = self.G(x, mask)  # carried with its graph to the G step
            real_logits = self._d(x, mask, boxes)
            fake_logits = self._d(composite(fake, x, mask).detach(), mask, boxes)
        adv = self.d_loss_fn(real_logits, fake_logits, self.real_target)
        out = {
            "d_loss": adv.detach(),
            "d_real": discriminator_prob(real_logits.detach(), self.loss_name).mean(),
            "d_fake": discriminator_prob(fake_logits.detach(), self.loss_name).mean(),
        }
        return PhaseLoss(adv, out, carry=fake)

    def g_loss(self, batch: Batch, gen: torch.Generator, measure: bool, carry: Any) -> PhaseLoss:
        x, mask, boxes = batch
        i = self.cfg.inpaint
        fake = carry
        with self.autocast():
            if fake is None:
                fake = self.G(x, mask)
            adv = self.g_loss_fn(self._d(composite(fake, x, mask), mask, boxes))
        rec = masked_l1(fake.float(), x.float(), mask, i.hole_weight, i.valid_weight)
        loss = rec + i.adv_weight * adv
        out = {
            "g_loss": loss.detach(),
            "g_adv": adv.detach(),
            "rec": rec.detach(),
            "missing": mask.mean(),
        }
        if measure:
            err = (fake.detach().float().clamp(-1, 1) - x.float()).pow(2) * mask
            mse = err.sum() / (mask.sum() * x.shape[1]).clamp(min=1)
            out["hole_psnr"] = 10 * torch.log10(4.0 / mse.clamp(min=1e-12))  # data range 2
        return PhaseLoss(loss, out)

    # ------------------------------------------------------------------ sample grids
    def fixed_inputs(self, n: int, seed: int) -> dict[str, Tensor]:
        """The first images with fixed masks of the 20-40 % band: every grid shows the same."""
        k = max(1, min(n, EXAMPLES_PER_GRID, len(self.images)))
        # mixed: the kinds alternate along the grid.
        per_kind = [band_masks(kind, GRID_BAND, k, self.size, seed) for kind in self.kinds]
        mask = torch.stack(per_kind, dim=1).flatten(0, 1)[:k].to(self.device)  # (k, 1, H, W)
        return {"image": to_model_range(self.images[:k]), "mask": mask}

    @torch.no_grad()
    def generate(self, nets: dict[str, nn.Module], inputs: dict[str, Tensor]) -> Tensor:
        """Per example: the input with its hole in white | the completed image | the original."""
        x, mask = inputs["image"], inputs["mask"]
        shown = torch.where(mask.bool(), torch.ones_like(x), x)
        done = composite(nets["G"](x, mask).float(), x, mask)
        return torch.stack([shown, done, x], dim=1).flatten(0, 1)

    @property
    def grid_nrow(self) -> int:
        return 2 * self.columns_per_example

    # ------------------------------------------------------------------ inference and evaluation
    @classmethod
    def open(
        cls,
        cfg: Config,
        state: dict[str, Any],
        ema: bool = True,
        device: str | torch.device = "cpu",
        **options: Any,
    ) -> tuple[Inpainter, bool]:
        refuse_options(options, "does not apply to an inpainting run: leave it out")
        weights, used_ema = pick_weights(state, "G", ema)
        net = generator_for(cfg)
        load_weights(net, weights, "inpainting generator G")
        net = net.to(device).eval().requires_grad_(False)
        model = Inpainter(
            cfg=cfg,
            net=net,
            channels=cfg.data.channels,
            multiple=int(net.multiple),
            context=int(net.context),
        )
        return model, used_ema

    @classmethod
    def evaluate(cls, run: Any, options: EvalOptions, say=print) -> dict[str, Any]:
        return evaluate_inpainter(run.model, cls.load_data, Path(run.run_dir), options, say)
