"""Open a run folder (or a checkpoint in one) for inference: the one way every command does it.

``load_run(path)`` answers "is this a ganforge run?" once, with one kind of error message, for any
task: it reads the run's config, finds its task in the registry, reads the checkpoint (the newest,
``best``, or one named by the user; safetensors, never pickle) and asks the task to open it
(``Task.open``). ``run.model`` is then what the commands use:

- a ``NoiseGenerator`` (GAN tasks, and plug-ins that draw from noise): ``sample``, ``interpolate``,
  ``sheet``, ``arithmetic``, ``ablate``, ``invert``, ``memorization``, ``export``, ``eval``,
  ``report``; ``run.G``, ``run.num_classes``, ``run.class_names``, ``run.z_dim`` read from it;
- a ``Translator`` (image-to-image tasks): ``translate``, ``upscale``, ``export``, ``eval``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganforge.config import Config, load_run_config
from ganforge.errors import GanforgeError
from ganforge.inference.noise import NoiseGenerator
from ganforge.inference.translator import Translator
from ganforge.tasks.base import Task
from ganforge.tasks.registry import task_class
from ganforge.train import checkpoint as ckpt
from ganforge.train.legacy import upgrade
from ganforge.train.state_checks import StateError, check_progress


@dataclass
class LoadedRun:
    """A run folder opened for inference; ``model`` is on the requested device, in eval mode."""

    run_dir: Path
    cfg: Config
    checkpoint: Path
    task: type[Task]
    model: Any
    """A ``NoiseGenerator`` or a ``Translator`` (ganforge.inference)."""
    used_ema: bool
    images_seen: int
    state: dict[str, Any]
    """The whole checkpoint (D weights, optimizer state, ...) for commands that need more."""

    # ------------------------------------------------------------------ noise-to-sample runs
    def noise_model(self, command: str = "this command") -> NoiseGenerator:
        """``model`` as a NoiseGenerator, or a one-line error naming what to use instead."""
        if isinstance(self.model, NoiseGenerator):
            return self.model
        what = f"a {self.cfg.model.task} run (image-to-image)"
        raise GanforgeError(
            f"{self.run_dir} is {what}: {command} needs a noise-to-image run; use "
            "`ganforge translate` or `ganforge upscale`"
        )

    @property
    def G(self) -> nn.Module:
        return self.noise_model().G

    @property
    def num_classes(self) -> int:
        """Classes the generator is conditioned on (0: unconditional)."""
        return self.noise_model().num_classes

    @property
    def class_names(self) -> list[str]:
        return self.noise_model().class_names

    @property
    def z_dim(self) -> int:
        return self.noise_model().z_dim

    def build_discriminator(self) -> nn.Module:
        """The run's discriminator with its trained weights (inversion uses its features)."""
        return self.task.discriminator(self.cfg, self.state, self.model)

    # ------------------------------------------------------------------ image-to-image runs
    def translator(self, command: str = "this command") -> Translator:
        """``model`` as a Translator, or a one-line error naming what to use instead."""
        if isinstance(self.model, Translator):
            return self.model
        raise GanforgeError(
            f"{self.run_dir} is a noise-to-image run: use `ganforge sample` ({command} takes "
            "image-to-image runs: pix2pix, CycleGAN, SRGAN)"
        )


def resolve_checkpoint(run: str | Path, checkpoint: str | Path | None = None) -> tuple[Path, Path]:
    """``run`` may be a run folder or a checkpoint file inside one -> (run_dir, checkpoint file)."""
    path = Path(run)
    if path.is_file():
        if checkpoint is not None:
            raise GanforgeError("give either a checkpoint file or a run folder with --checkpoint")
        # runs/X/checkpoints/ckpt-...safetensors or runs/X/best.safetensors
        run_dir = path.parent.parent if path.parent.name == "checkpoints" else path.parent
        return run_dir, path
    if not path.is_dir():
        raise GanforgeError(f"{run} does not exist: give a run folder such as runs/<date>-<name>")
    if not (path / "config.yaml").is_file():
        raise GanforgeError(f"{run} is not a ganforge run folder (no config.yaml)")
    if checkpoint is not None:
        c = Path(checkpoint)
        if not c.is_file() and (path / "checkpoints" / c).is_file():
            c = path / "checkpoints" / c
        if c.name == "best" or c.name == "best.safetensors":
            c = path / "best.safetensors"
        if not c.is_file():
            raise GanforgeError(f"checkpoint {checkpoint} not found in {run}")
        return path, c
    found = ckpt.list_checkpoints(path / "checkpoints")
    if not found:
        raise GanforgeError(f"{run} has no checkpoint yet: train it first (ganforge train)")
    return path, found[-1]


def run_config(run: str | Path) -> Config:
    """The config of a run folder (or of the run a checkpoint file belongs to)."""
    return load_run_config(resolve_checkpoint(run)[0])


def load_run(
    run: str | Path,
    checkpoint: str | Path | None = None,
    ema: bool = True,
    device: str | torch.device = "cpu",
    **options: Any,
) -> LoadedRun:
    """Open ``run`` (a run folder or a checkpoint file) with any task's trained model.

    ``ema`` picks the EMA weights where the run kept them; ``options`` are the task's own (e.g.
    ``direction="BtoA"`` for a CycleGAN run's F).
    """
    run_dir, ckpt_path = resolve_checkpoint(run, checkpoint)
    cfg = load_run_config(run_dir)
    cls = task_class(cfg)
    state = upgrade(ckpt.load(ckpt_path))
    try:  # the checkpoint is untrusted input: its counts are checked as resume checks them
        seen = check_progress(state["progress"])[0] if "progress" in state else 0
    except StateError as e:
        raise GanforgeError(
            f"checkpoint {ckpt_path} was edited or damaged: {e}; use another checkpoint"
        ) from None
    model, used_ema = cls.open(cfg, state, ema=ema, device=device, **options)
    return LoadedRun(
        run_dir=run_dir,
        cfg=cfg,
        checkpoint=ckpt_path,
        task=cls,
        model=model,
        used_ema=used_ema,
        images_seen=seen,
        state=state,
    )
