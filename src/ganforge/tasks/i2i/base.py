"""What the image-to-image tasks (pix2pix, CycleGAN, SRGAN) share.

Their batches are cut from uint8 tensors kept on the training device: paired crops, two unpaired
samplers, or HR crops with their LR twins (``draw`` picks the indices, ``make_batch`` crops and
flips with the run's noise generator). Their sample grids show, per example, input | output |
target (| reconstruction), ``grid_nrow`` tiles to a row. They open for inference as a
``Translator`` (one direction of the generator) and are evaluated on held-out data
(evaluation/translation.py).

Phases per iteration (``TwoPlayerTask``, tasks/two_player.py): the D phase runs G on the batch and
carries its output, with the graph, to the G phase (``PhaseLoss.carry``); D is updated on it
(detached), then the G phase scores the same output against the updated D with D's parameters
frozen. The reference implementations update G first; with one D step per G step the
two orders train the same game (DCGAN's tutorial uses ours).

Randomness: crops and flips use the Trainer's noise generator, dropout the global torch RNG, the
image pool its own generator; all three are checkpointed, so resume is exact.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from ganforge.config import Config, I2IConfig
from ganforge.config.i2i import PAPER_DEFAULT
from ganforge.data import load_data
from ganforge.data.dataset import ImageData
from ganforge.data.i2i.domains import TwoDomainData, apply_crops, center_plan, plan_crops
from ganforge.data.i2i.schemes import finish_two_domains
from ganforge.data.loader import to_model_range
from ganforge.errors import GanforgeError
from ganforge.evaluation.options import EvalOptions
from ganforge.evaluation.translation import evaluate_translator
from ganforge.inference.translator import Translator
from ganforge.losses.adversarial import LOSSES, discriminator_prob
from ganforge.metrics.psnr_ssim import WINDOW, psnr, ssim
from ganforge.tasks.base import refuse_options
from ganforge.tasks.i2i.networks import build_i2i_generator, unet_depth
from ganforge.tasks.two_player import TwoPlayerTask
from ganforge.tasks.weights import load_weights, pick_weights

EXAMPLES_PER_GRID = 16
"""Examples in each sample grid (at most ``train.grid_size``)."""


class I2ITask(TwoPlayerTask):
    sections = {"i2i": I2IConfig}
    columns_per_example: ClassVar[int] = 3  # input | output | target
    default_generator: ClassVar[str] = "unet"
    """The generator ``i2i.generator=auto`` means for this task."""
    default_norm: ClassVar[str] = "batch"
    """The normalisation ``i2i.norm=auto`` means for this task."""
    default_loss: ClassVar[str] = "nonsaturating"
    """The GAN loss ``loss.name=auto`` means for this task (its paper's)."""

    def __init__(self, cfg: Config, data: ImageData, device: torch.device, precision: str) -> None:
        if precision == "fp16":
            precision = "fp32"  # noted below: no gradient scaler tuned for these tasks
        super().__init__(cfg, data, device, precision)
        self.size = cfg.data.resolution
        self.load = data.images.shape[-1]
        shape, c = tuple(data.images.shape[1:]), cfg.data.channels
        if shape[0] != c or shape[1] != shape[2] or self.load < self.size:
            raise GanforgeError(
                f"{cfg.model.task} data of shape {shape} (C, H, W) does not fit data.channels={c} "
                f"and crops of data.resolution={self.size}"
            )
        self.num_classes = 0
        self.hflip = cfg.data.hflip
        self.channels_last = cfg.runtime.channels_last
        # The paper defaults a config leaves open (loss "auto", adv_weight -1), resolved once.
        self.loss_name = self.paper_loss(cfg)
        self.adv_weight = self.paper_adv_weight(cfg)
        self.d_loss_fn, self.g_loss_fn = LOSSES[self.loss_name]
        self.real_target = 1.0 - cfg.loss.label_smoothing
        if cfg.runtime.precision == "fp16":
            self.notes.append("image-to-image tasks do not use fp16 (no gradient scaler): fp32")
        if cfg.runtime.compile:
            self.notes.append("runtime.compile: image-to-image tasks run eagerly")

    # ------------------------------------------------------------------ config
    @classmethod
    def generator_of(cls, cfg: Config) -> str:
        """The generator architecture a config trains (i2i.generator, or the task's default)."""
        return cfg.i2i.generator if cfg.i2i.generator != "auto" else cls.default_generator

    @classmethod
    def norm_of(cls, cfg: Config) -> str:
        return cfg.i2i.norm if cfg.i2i.norm != "auto" else cls.default_norm

    @classmethod
    def paper_loss(cls, cfg: Config) -> str:
        """``loss.name``, where auto means the task's paper loss (``default_loss``)."""
        return cls.default_loss if cfg.loss.name == "auto" else cfg.loss.name

    @classmethod
    def paper_adv_weight(cls, cfg: Config) -> float:
        """``i2i.adv_weight``, or the task's paper value when it is left at -1 (pix2pix: 1)."""
        return 1.0 if cfg.i2i.adv_weight == PAPER_DEFAULT else cfg.i2i.adv_weight

    @classmethod
    def check_config(cls, cfg: Config) -> None:
        """The checks every image-to-image task shares; each task adds its own."""
        task, res, i, tc = cfg.model.task, cfg.data.resolution, cfg.i2i, cfg.train
        if not cfg.data.is_square or cfg.data.channels == 4:
            raise GanforgeError(
                f"model.task={task} trains on square grey or RGB crops: set data.resolution to "
                "one side and data.channels to 1 or 3"
            )
        if cfg.loss.name not in ("auto", *LOSSES):
            raise GanforgeError(
                f"loss.name={cfg.loss.name!r} is not one of auto, {', '.join(LOSSES)}"
            )
        if cfg.data.is_toy:
            raise GanforgeError(
                f"model.task={task} translates images: data.source cannot be a toy set"
            )
        if tc.n_critic != 1:
            raise GanforgeError(
                f"model.task={task} takes one D step per G step: set train.n_critic=1"
            )
        if tc.eval_every > 0:
            raise GanforgeError(
                f"train.eval_every scores noise-to-image generators; model.task={task} logs "
                "PSNR/SSIM (or the cycle error) of its training batches in metrics.csv instead, "
                "and `ganforge eval RUN` scores held-out data: set train.eval_every=0"
            )
        if cfg.loss.gp_weight > 0 or cfg.loss.r1_gamma > 0 or cfg.loss.clip > 0:
            raise GanforgeError(
                f"model.task={task} does not use loss.gp_weight, r1_gamma or clip: set them to 0"
            )
        if i.load_size and i.load_size < res:
            raise GanforgeError(
                f"i2i.load_size={i.load_size} is smaller than the crops (data.resolution={res})"
            )

    @classmethod
    def check_translation(cls, cfg: Config) -> None:
        """Checks of the same-size translation tasks (pix2pix, CycleGAN)."""
        res, i, gen = cfg.data.resolution, cfg.i2i, cls.generator_of(cfg)
        if gen == "srresnet":
            raise GanforgeError(
                "i2i.generator=srresnet changes the size: it is for model.task=srgan"
            )
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

    @classmethod
    def load_domains(cls, cfg: Config, kind: str) -> TwoDomainData:
        """Two domains of ``kind`` (pairs or unpaired, data/i2i/schemes.py's schemes) stored at
        ``i2i.load_size`` and fitted by ``i2i.fit``, turned round for ``i2i.direction=BtoA`` so
        that the task always maps A to B."""
        i = cfg.i2i
        options = {"load_size": i.load_size or cfg.data.resolution, "fit": i.fit}
        data = load_data(cfg.data, cfg.train.seed, (kind,), options, cfg.model.task)
        if i.direction == "BtoA":
            data = data.swapped()
        data = finish_two_domains(data, cfg.data.source.strip())
        data.report.update(task=cfg.model.task, direction=i.direction)
        return data

    @classmethod
    def build_generator(cls, cfg: Config) -> nn.Module:
        return build_i2i_generator(cfg, cls.generator_of(cfg), cls.norm_of(cfg))

    # ------------------------------------------------------------------ inference and evaluation
    @classmethod
    def network_for(cls, cfg: Config, direction: str) -> str:
        """Which network maps ``direction``: G for the run's own; other tasks have no other."""
        own = cfg.i2i.direction
        if direction == own:
            return "G"
        raise GanforgeError(
            f"this is a {cfg.model.task} run trained {own} only; --direction {direction} needs a "
            f"CycleGAN run (or a {cfg.model.task} run trained with i2i.direction={direction})"
        )

    @classmethod
    def open(
        cls,
        cfg: Config,
        state: dict[str, Any],
        ema: bool = True,
        device: str | torch.device = "cpu",
        direction: str | None = None,
        **options: Any,
    ) -> tuple[Translator, bool]:
        refuse_options(options, f"does not apply to a {cfg.model.task} run: leave it out")
        direction = direction or cfg.i2i.direction
        if direction not in ("AtoB", "BtoA"):
            raise GanforgeError(f"--direction {direction} must be AtoB or BtoA")
        network = cls.network_for(cfg, direction)
        weights, used_ema = pick_weights(state, network, ema)
        net = cls.build_generator(cfg)
        load_weights(net, weights, f"generator {network}")
        net = net.to(device).eval().requires_grad_(False)
        translator = Translator(
            cfg=cfg,
            net=net,
            direction=direction,
            network=network,
            channels=cfg.data.channels,
            multiple=int(getattr(net, "multiple", 1)),
            scale=cls.output_scale(cfg),
            context=int(getattr(net, "context", 0)),
        )
        return translator, used_ema

    @classmethod
    def output_scale(cls, cfg: Config) -> int:
        """Output side / input side: 1 for translation (SRGAN: i2i.scale)."""
        return 1

    @classmethod
    def reverse_of(cls, run: Any) -> Translator | None:
        """The generator of the other direction, for the cycle error (CycleGAN), else None."""
        return None

    @classmethod
    def evaluate(cls, run: Any, options: EvalOptions, say=print) -> dict[str, Any]:
        return evaluate_translator(
            run.model, cls.load_data, Path(run.run_dir), options, cls.reverse_of(run)
        )

    # ------------------------------------------------------------------ helpers
    def _place(self, *modules: nn.Module) -> None:
        for m in modules:
            m.to(self.device)
            if self.channels_last:
                m.to(memory_format=torch.channels_last)

    def _to_model(self, x: Tensor) -> Tensor:
        x = to_model_range(x)
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x

    def _crops(self, images: Tensor, idx: Tensor, gen: torch.Generator, plan=None) -> Tensor:
        """Random ``size`` crops (and flips) of ``images[idx]``; ``plan`` shares them across a pair."""
        plan = plan or plan_crops(len(idx), self.load, self.size, self.hflip, gen, self.device)
        return self._to_model(apply_crops(images[idx], plan, self.size))

    def _center(self, images: Tensor, n: int) -> Tensor:
        plan = center_plan(n, self.load, self.size, self.device)
        return self._to_model(apply_crops(images[:n], plan, self.size)).float()

    def _fidelity(self, fake: Tensor, target: Tensor) -> dict[str, Tensor]:
        """PSNR / SSIM of a training batch in the model range (data range 2), for the log."""
        fake, target = fake.detach().float().clamp(-1, 1), target.float()
        out = {"psnr": psnr(fake, target, data_range=2.0).mean()}
        if min(fake.shape[-2:]) >= WINDOW:
            out["ssim"] = ssim(fake, target, data_range=2.0).mean()
        return out

    @staticmethod
    def _probs(real: Tensor, fake: Tensor, loss: str) -> dict[str, Tensor]:
        return {
            "d_real": discriminator_prob(real.detach(), loss).mean(),
            "d_fake": discriminator_prob(fake.detach(), loss).mean(),
        }

    @property
    def grid_nrow(self) -> int:
        per_row = 2 if self.columns_per_example <= 3 else 1
        return per_row * self.columns_per_example

    def _examples(self, n: int, available: int) -> int:
        return max(1, min(n, EXAMPLES_PER_GRID, available))


def interleave(*columns: Tensor) -> Tensor:
    """Columns (N, C, H, W) each -> (N * k, C, H, W) as example 0's k tiles, example 1's, ..."""
    return torch.stack(columns, dim=1).flatten(0, 1)
