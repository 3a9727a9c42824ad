"""Open a run folder (or a checkpoint in one) for inference: the one way every command does it.

``load_run(path)`` answers "is this a ganforge run?" once, with one kind of error message, for any
task: it reads the run's config, finds its task in the registry, reads the checkpoint (the newest,
``best``, or one named by the user; safetensors, never pickle) and asks the task to open it
(``Task.open``). ``run.model`` is then what the commands use, by the uses it declares
(inference/uses.py): a command asks ``run.require("sample")`` (``translate``, ``encode``, ...)
and gets the model, or the one error naming the uses this run has. ``run.G``, ``run.num_classes``,
``run.class_names`` and ``run.z_dim`` are the ``sample`` use's generator and its classes.

Besides run folders it opens the places of ``ganforge.hub`` the same way: ``pretrained:NAME`` (a
model shipped in the package), ``hf:USER/NAME[@REVISION]`` (the Hugging Face Hub) and a model
folder on disk (``config.json`` + ``model.safetensors``). Those hold one network's weights and
no training state; they are read-only (``run.read_only``): a command that writes beside a run
writes to its ``--out`` or the working folder instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganforge.config import Config, load_run_config
from ganforge.errors import GanforgeError
from ganforge.hub.folder import ModelFolder
from ganforge.hub.places import open_place
from ganforge.inference.uses import InferenceModel, require_any
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
    model: InferenceModel
    """What the run's task opened (ganforge.inference): a ``NoiseGenerator``, a ``Translator``, ..."""
    used_ema: bool
    images_seen: int
    state: dict[str, Any]
    """The whole checkpoint (D weights, optimizer state, ...) for commands that need more."""
    place: str | None = None
    """``pretrained:NAME``, ``hf:...`` or a model folder's path when it is not a run folder."""
    card: dict[str, Any] | None = None
    """A model folder's card facts (metrics, protocol, licence, training command), else None."""

    @property
    def read_only(self) -> bool:
        """A shipped, downloaded or exported model: nothing is written into its folder."""
        return self.place is not None

    @property
    def has_discriminator(self) -> bool:
        """Whether the checkpoint kept D (model folders ship the generator alone)."""
        nets = self.state.get("nets", {})
        return isinstance(nets, dict) and "D" in nets

    def require(self, *uses: str, command: str = "this command") -> Any:
        """The model, when it declares any of ``uses``; else one ``MissingUse`` error naming the
        uses this run has (the CLI adds the commands that serve them)."""
        task = self.cfg.model.task
        what = f"{self.run_dir} ({'an' if task[:1] in 'aeiou' else 'a'} {task} run)"
        return require_any(self.model, uses, what, command)

    @property
    def uses(self) -> dict[str, tuple[str, ...]]:
        """What this run's model can be used for, with the inputs of each."""
        return self.model.uses

    # ------------------------------------------------------------------ the sample use
    @property
    def G(self) -> nn.Module:
        return self.require("sample").G

    @property
    def num_classes(self) -> int:
        """Classes the generator is conditioned on (0: unconditional)."""
        return self.require("sample").num_classes

    @property
    def class_names(self) -> list[str]:
        return self.require("sample").class_names

    @property
    def z_dim(self) -> int:
        return self.require("sample").z_dim

    def build_discriminator(self) -> nn.Module:
        """The run's discriminator with its trained weights (inversion uses its features)."""
        return self.task.discriminator(self.cfg, self.state, self.model)


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
    ``direction="BtoA"`` for a CycleGAN run's F). ``run`` may also be a place of ``ganforge.hub``
    (``pretrained:NAME``, ``hf:USER/NAME[@REV]``, a model folder).
    """
    folder = open_place(run)
    if folder is not None:
        return _load_folder(folder, str(run), checkpoint, ema, device, options)
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


def from_pretrained(name: str | Path, device: str | torch.device = "cpu") -> LoadedRun:
    """``pretrained:NAME``, ``hf:USER/NAME[@REVISION]``, a model folder or a run folder, opened
    for inference with its EMA weights: the ``diffusers``-style name of ``load_run``, paired with
    ``ganforge.save_pretrained(run, folder)`` (explore/hub_export.py)."""
    return load_run(name, device=device)


def _load_folder(
    folder: ModelFolder,
    place: str,
    checkpoint: str | Path | None,
    ema: bool,
    device: str | torch.device,
    options: dict[str, Any],
) -> LoadedRun:
    """A model folder opened as a run: its task opens the one network it holds."""
    if checkpoint is not None:
        raise GanforgeError(f"{place} holds one set of weights, not checkpoints: drop --checkpoint")
    if not ema and folder.ema:
        raise GanforgeError(
            f"{place} holds only the EMA generator (the one sampling uses): drop --no-ema"
        )
    if folder.task != folder.cfg.model.task:
        raise GanforgeError(
            f"{place}/config.json names task {folder.task!r} but its run config trains "
            f"{folder.cfg.model.task!r}: the file was edited; re-export the model"
        )
    cls = task_class(folder.cfg)
    state = folder.state()
    model, used_ema = cls.open(folder.cfg, state, ema=ema, device=device, **options)
    return LoadedRun(
        run_dir=folder.path,
        cfg=folder.cfg,
        checkpoint=folder.path / "model.safetensors",
        task=cls,
        model=model,
        used_ema=used_ema,
        images_seen=folder.images_seen,
        state=state,
        place=place,
        card=folder.card,
    )
