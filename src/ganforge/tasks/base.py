"""The task interface: what a model family declares so that the one Trainer can train it.

A task is the method: its config section, how it reads its data, its networks and optimizers, the
losses of its phases, what it logs, how it is opened for inference and how it is evaluated. The
Trainer is the mechanics, the same for every task: it draws batches through the task, and for
each phase it freezes the phase's frozen networks, calls the phase's loss, zero_grads, runs
backward (through a GradScaler with fp16), measures gradient norms at log steps, steps the
optimizer, then updates the EMA copies, sets scheduled learning rates, logs, samples, evaluates,
checkpoints and handles signals (train/trainer.py). It never asks which task it trains: what
differs is declared here, as data (``phases``, ``ema_targets``, ``log_columns``,
``plot_panels``) or as capabilities (``graph_problem``). The defaults are those of no family in
particular: no EMA, no columns but the phases' own, one curve panel per logged value. The
adversarial families share their G/D scaffolding through ``tasks/two_player.py``.

One iteration is the task's phases in order; a phase with ``repeats = k`` runs k times, each on a
fresh batch (the GAN's n_critic discriminator steps), and a phase with ``fresh_batch=False``
reuses the batch of the phase before (the generator step). Losses are small pure functions in
ganforge/losses; a phase's ``loss`` only assembles them and returns the scalar to differentiate
with its log scalars (``PhaseLoss``), never calling backward or step itself. What one phase makes
for the next (a GAN's fake batch, whose generator graph the G step differentiates) is handed on as
a value: ``PhaseLoss.carry`` of a phase is the ``carry`` argument of the next one's loss.

Adding a model family is one module with a ``Task`` subclass and one line in
``tasks/registry.py`` (or ``@register_task`` outside the package): see docs/architecture.md.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from ganforge.config import Config
from ganforge.data.dataset import ImageData
from ganforge.errors import GanforgeError
from ganforge.evaluation.options import EvalOptions
from ganforge.images import save_grid, to_uint8
from ganforge.runtime.distributed import Shard

Batch = Any
"""Whatever a task's ``make_batch`` returns and its phases take (e.g. (images, labels))."""

Panels = tuple[tuple[str, tuple[str, ...]], ...]
"""Curve panels of losses.png: (title, the metrics.csv columns drawn in it)."""


@dataclass(frozen=True)
class PhaseLoss:
    """What a phase's loss function returns: the scalar to differentiate and what to log."""

    loss: Tensor
    """0-d tensor; the Trainer calls backward on it (scaled under fp16)."""
    scalars: dict[str, Tensor]
    """Detached 0-d tensors for metrics.csv, read on the host only at log steps."""
    carry: Any = None
    """What the next phase's loss receives as its ``carry`` (e.g. the fake batch with its graph);
    None for nothing."""


@dataclass(frozen=True)
class Phase:
    """One optimizer update of an iteration (e.g. the discriminator step, the generator step)."""

    name: str
    """Short name; its gradient norm is logged as ``<name>_grad_norm`` (lower case) at log steps."""
    optimizer: str
    """Key in ``Task.optimizers`` of the optimizer this phase steps."""
    loss: Callable[[Batch, torch.Generator, bool, Any], PhaseLoss | None]
    """(batch, the run's noise generator, measure, carry) -> PhaseLoss, or None to skip the update
    (e.g. SRGAN's discriminator during the generator's pre-training). ``measure`` is True at log
    steps: compute costly log-only scalars then. ``carry`` is the previous phase's
    ``PhaseLoss.carry`` in this iteration (None for the first phase, or when it carried nothing or
    was skipped)."""
    repeats: int = 1
    """Updates per iteration, each on a fresh batch (n_critic for a GAN's D)."""
    fresh_batch: bool = True
    """False: use the batch of the previous phase (a GAN's G step reuses D's last batch)."""
    frozen: tuple[str, ...] = ()
    """Keys of ``Task.nets`` whose parameters get no gradient in this phase (D in the G step: no D
    weight gradients are computed at all)."""
    after_step: Callable[[], None] | None = None
    """Called after the optimizer step (e.g. WGAN's weight clipping, a step counter)."""


class Task(ABC):
    """Base class of every model family. Subclass it, fill in the abstract parts, register it."""

    name: ClassVar[str] = ""
    """The ``model.task`` value that selects it (set by ``register_task``)."""
    sections: ClassVar[dict[str, type]] = {}
    """The task's own config sections: top-level key -> dataclass (e.g. ``{"i2i": I2IConfig}``),
    registered with the task; the run's config.yaml records their values."""
    section: ClassVar[tuple[str, type] | None] = None
    """One more section, as ``(key, dataclass)`` (the single-section spelling of ``sections``)."""
    ema_targets: ClassVar[tuple[str, ...]] = ()
    """Keys of ``nets`` the Trainer keeps an exponential moving average of (train.ema_halflife);
    samples, evaluation and inference use those copies."""
    log_columns: ClassVar[tuple[str, ...]] = ()
    """metrics.csv columns of the phases' scalars (before the learning rates and timing)."""
    extra_columns: ClassVar[tuple[str, ...]] = ()
    """More columns, after the timing (e.g. PSNR and SSIM of an image-to-image task)."""
    progress_columns: ClassVar[tuple[str, ...]] = ()
    """Scalars shown on the progress bar (none: the first two log columns)."""
    plot_panels: ClassVar[Panels] = ()
    """How losses.png groups the logged columns; a column no panel names gets one of its own."""
    discriminator_choices: ClassVar[tuple[str, ...]] = ("own",)
    """The ``model.discriminator`` values this task trains with: "own" (its own networks) and, for
    the noise-to-image families, "projected" (a frozen ImageNet network's features, Sauer et al.
    2021); the task registry refuses any other before anything is read."""
    channels_follow_data: ClassVar[bool] = False
    """True: ``ganforge train --preset P --data SOURCE`` without ``data.channels`` takes the
    source's own channels (grey 1, colour 3) instead of the preset's (the autoencoders: a model
    of any image set); False: the preset's channels are the model's."""

    def __init__(self, cfg: Config, data: ImageData, device: torch.device, precision: str) -> None:
        self.cfg = cfg
        self.data = data
        self.device = device
        self.precision = precision
        self.amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
        self.notes: list[str] = []
        """One-line messages about fallbacks; the Trainer shows them."""
        self.shard = Shard()
        """This process's slice of each global batch (set under torchrun)."""
        self.autocast_cache = True
        self.schedule_start = 0
        """Images before the learning-rate schedule's run starts (SRGAN's pre-training)."""

    # ------------------------------------------------------------------ config and data
    @classmethod
    def declared_sections(cls) -> dict[str, type]:
        """``sections`` and ``section`` together: every config section this task reads."""
        return {**cls.sections, **dict([cls.section] if cls.section else [])}

    @classmethod  # noqa: B027 (an optional hook: by default every config is accepted)
    def check_config(cls, cfg: Config) -> None:
        """Cross-field checks of a config this task trains (one-line GanforgeError), run before
        any data is read or folder made. The default accepts everything."""

    @classmethod
    @abstractmethod
    def load_data(cls, cfg: Config) -> ImageData:
        """The task's data, in memory (``ganforge.data`` readers)."""

    # ------------------------------------------------------------------ what the Trainer steps
    @property
    @abstractmethod
    def nets(self) -> dict[str, nn.Module]:
        """Every network, by name: what checkpoints hold and ``Phase.frozen`` names."""

    @property
    @abstractmethod
    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """Every optimizer, by name; logged learning rates are ``lr_<name>`` (lower case). The
        learning rates they are built with are the base the Trainer's schedule multiplies."""

    @abstractmethod
    def phases(self) -> list[Phase]:
        """The phases of one iteration, in order."""

    @abstractmethod
    def draw(self) -> Any:
        """The next batch's random choice made on the host (e.g. data indices): kept apart from
        ``make_batch`` so that a CUDA graph can replay the device work on new draws."""

    @abstractmethod
    def make_batch(self, draw: Any, gen: torch.Generator) -> Batch:
        """Device work only: the batch of ``draw`` (crops, flips and noise from ``gen``)."""

    def extra_state(self) -> dict[str, Any]:
        """What a checkpoint must hold besides nets, EMA, optimizers and the Trainer's RNGs for
        resume to be exact (data position, counters, image pools, scaler)."""
        return {}

    def load_extra_state(self, state: dict[str, Any]) -> None:  # noqa: B027 (optional hook)
        """Inverse of ``extra_state``; ``state`` comes from a file: check what you read."""

    def run_files(self) -> dict[str, bytes]:
        """Files the task writes into its run folder beside config.yaml, by name, when the run
        starts or resumes (e.g. a text model's ``tokenizer.json``); none by default."""
        return {}

    def hyperparameters(self, images_seen: int) -> dict[str, Any] | None:
        """Settings that follow a schedule of images seen, which the Trainer applies before each
        iteration: ``{"lr": {optimizer: value}, "betas": {optimizer: (beta1, beta2)},
        "ema_halflife": images}`` (any subset). None (the default): the optimizers' own rates
        under ``train.lr_schedule`` and ``train.ema_halflife``."""
        return None

    # ------------------------------------------------------------------ samples during training
    def fixed_inputs(self, n: int, seed: int) -> dict[str, Tensor]:
        """The inputs every sample grid of a run uses (fixed noise, fixed examples)."""
        return {}

    def generate(self, nets: dict[str, nn.Module], inputs: dict[str, Tensor]) -> Tensor:
        """Images of the sample grid, in the model range, from ``nets`` (EMA copies where kept)."""
        raise GanforgeError(f"task {self.name} draws no sample grids")

    @property
    def grid_nrow(self) -> int | None:
        """Tiles per row of the sample grids (None: as square as possible)."""
        return None

    def save_reals(self, path: Path, n: int) -> None:
        """The grid of real images written once at the start of a run."""
        if self.data.is_image:
            save_grid(path, self.data.images[torch.arange(min(n, len(self.data)))])

    @torch.no_grad()
    def save_samples(self, path: Path, nets: dict[str, nn.Module], fixed: dict[str, Tensor]):
        """A sample grid of ``nets`` (in eval mode) on the fixed inputs."""
        modes = {k: m.training for k, m in nets.items()}
        for m in nets.values():
            m.eval()
        try:
            save_grid(path, to_uint8(self.generate(nets, fixed)), self.grid_nrow)
        finally:
            for k, m in nets.items():
                m.train(modes[k])

    # ------------------------------------------------------------------ inference and evaluation
    @classmethod
    @abstractmethod
    def open(
        cls,
        cfg: Config,
        state: dict[str, Any],
        ema: bool = True,
        device: str | torch.device = "cpu",
        **options: Any,
    ) -> tuple[Any, bool]:
        """The trained model of a checkpoint ``state`` for inference: (a ``NoiseGenerator`` or
        ``Translator`` of ganforge.inference, whether EMA weights were used). What
        ``ganforge.load_run`` returns as ``run.model``; ``options`` are the task's own (e.g.
        ``direction`` of an image-to-image run)."""

    def inference(self, nets: dict[str, nn.Module]) -> Any:
        """The live model as an inference object (what evaluation during training scores)."""
        raise GanforgeError(f"task {self.name} cannot be evaluated during training")

    def training_evaluator(self) -> Any:
        """The evaluator run every ``train.eval_every`` images (``due``, ``run``, ``prepare``,
        ``state_dict``, ``summary``), or None. Only called when ``train.eval_every > 0``."""
        return None

    @classmethod
    def evaluate(cls, run: Any, options: EvalOptions, say=print) -> dict[str, Any]:
        """``ganforge eval RUN``: {"metrics", "protocol", "name"} of an opened run (a
        ``ganforge.runs.LoadedRun``: its ``model``, ``cfg``, ``state``, ``run_dir``). ``say``
        prints progress lines; ``name`` is the result file's stem."""
        raise GanforgeError(f"task {cls.name} has no evaluator: `ganforge eval` cannot score it")

    @classmethod
    def discriminator(cls, cfg: Config, state: dict[str, Any], model: Any) -> nn.Module:
        """The trained discriminator, for the tools that use its features (inversion)."""
        raise GanforgeError(f"task {cls.name} has no discriminator to use")

    # ------------------------------------------------------------------ runtime hooks
    def autocast(self) -> contextlib.AbstractContextManager:
        """Mixed precision for the phases' forward passes (runtime.precision)."""
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(
            self.device.type, dtype=self.amp_dtype, cache_enabled=self.autocast_cache
        )

    def wrap_for_distributed(self, wrap: Callable[[nn.Module], nn.Module], shard: Shard) -> bool:
        """Under torchrun: route the training calls through ``wrap`` (DDP) and cut random draws
        with ``shard`` (the contract in runtime/distributed.py). Return False when the task does
        not: the Trainer then averages gradients before each step and says so."""
        return False

    def graph_problem(self) -> str | None:
        """None when an iteration of this task can be captured as a CUDA graph
        (``runtime.cuda_graphs``, train/cuda_graph.py): device work only after ``draw``, no host
        reads, no Python state a replay would not advance but ``replayed`` does. Else why not, in
        a few words. The default: not declared."""
        return "this task does not declare its iteration capturable (Task.graph_problem)"

    def prepare_capture(self) -> None:
        """Before a CUDA-graph capture (capturable tasks): no autocast weight cache."""
        self.autocast_cache = False

    def replayed(self) -> None:  # noqa: B027 (optional hook: most tasks keep no counters)
        """After each CUDA-graph replay: advance the host-side counters that the captured Python
        code advanced only once, at capture time."""


def refuse_options(options: dict[str, Any], why: str) -> None:
    """Refuse in one line a task-specific option ``Task.open`` was given but cannot use: the
    first one, spelled as its command-line flag, then ``why`` (e.g. "does not apply to an
    inpainting run: leave it out")."""
    if options:
        flag = "--" + next(iter(options)).replace("_", "-")
        raise GanforgeError(f"{flag} {why}")
