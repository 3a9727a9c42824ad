"""A run's training state: what it has done so far, what a checkpoint holds, and run.json.

``TrainingState`` is the run's own progress (images seen, iterations, training time), the run's
noise generator and the log sums not yet written; the Trainer holds one and this module saves and
restores it with the objects the Trainer passes in (the task with its networks, optimizers and
own state, the EMA copies, the loss scalers, the evaluator).

A checkpoint (train/checkpoint.py writes it: safetensors plus a JSON skeleton, never pickle) holds
the task's networks, the EMA copies, the optimizers' states made device-neutral (optim_state.py),
the fp16 loss scalers, every random generator's state, the task's own state (data position,
counters, image pools, ADA's p), images seen, iterations and training time, the logged sums not
yet written, evaluation state and metadata (the model section and what the data records of itself,
``ImageData.checkpoint_meta``). Restoring checks every entry against this run's objects first
(state_checks.py): a checkpoint of another model is "does not match", an edited or damaged one
says which entry; only then is anything loaded, so a refused checkpoint changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganforge.errors import GanforgeError
from ganforge.tasks.base import Task
from ganforge.train import checkpoint as ckpt
from ganforge.train import state_checks
from ganforge.train.ema import EMA
from ganforge.train.legacy import upgrade
from ganforge.train.optim_state import load_optimizer, portable
from ganforge.train.scalars import ScalarSums
from ganforge.version import __version__


class TrainingState:
    """What a run has done: progress, its noise generator and the log sums not yet written."""

    def __init__(self, device: torch.device, seed: int) -> None:
        self.images_seen = 0
        self.iterations = 0
        """Iterations done: one pass over the task's phases (a GAN's generator steps)."""
        self.wall_time = 0.0
        """Seconds on the training clock (kept across resumes)."""
        self.gen = torch.Generator(device=device).manual_seed(seed + 1)
        """The run's noise generator: noise, crops, flips and penalty weights are drawn from it."""
        self.scalars = ScalarSums()
        self.device = device

    @property
    def progress(self) -> dict[str, Any]:
        return {
            "images_seen": self.images_seen,
            "iterations": self.iterations,
            "wall_time": self.wall_time,
        }


@dataclass
class Parts:
    """The objects a checkpoint is made of besides the ``TrainingState``: the Trainer's."""

    task: Task
    ema: dict[str, EMA]
    scalers: dict[str, torch.amp.GradScaler]
    evaluation: Any = None
    """The evaluator during training (``train.eval_every``), or None."""
    meta: dict[str, Any] = field(default_factory=dict)
    """The checkpoint's metadata: versions, the model section, the data's own record."""


def checkpoint_state(state: TrainingState, parts: Parts) -> dict[str, Any]:
    """What a checkpoint holds: networks, EMA copies, optimizers (device-neutral), loss scalers,
    RNG states, the task's own state, progress, the log sums and metadata."""
    task = parts.task
    out: dict[str, Any] = {
        "nets": {k: m.state_dict() for k, m in task.nets.items()},
        "ema": {k: e.model.state_dict() for k, e in parts.ema.items()},
        "optim": {k: portable(o.state_dict()) for k, o in task.optimizers.items()},
        "rng": {"torch": torch.get_rng_state(), "noise": state.gen.get_state()},
        "task": task.extra_state(),
        "progress": state.progress,
        "acc": state.scalars.state_dict(),
        "meta": {"ganforge": __version__, **parts.meta},
    }
    if any(s.is_enabled() for s in parts.scalers.values()):
        out["scalers"] = {k: s.state_dict() for k, s in parts.scalers.items()}
    if state.device.type == "cuda":
        out["rng"]["cuda"] = torch.cuda.get_rng_state(state.device)
    if parts.evaluation is not None:
        out["eval"] = parts.evaluation.state_dict()
    return out


def restore_state(state: TrainingState, parts: Parts, path: Path) -> None:
    """Load the checkpoint at ``path`` into ``state`` and ``parts``: every entry checked first
    (a checkpoint of another model, or one edited or damaged, is one line), then restored in
    place."""
    saved = upgrade(ckpt.load(path))
    task, cuda = parts.task, state.device.type == "cuda"
    try:
        seen, iterations, wall = state_checks.check_training_state(
            saved,
            named_images=ckpt.images_of(path),
            nets=task.nets,
            ema={k: e.model for k, e in parts.ema.items()},
            optimizers=task.optimizers,
            scalers={k: s.state_dict() for k, s in parts.scalers.items() if s.is_enabled()},
            task_state=task.extra_state(),
            rng={"torch": torch.get_rng_state(), "noise": state.gen.get_state()},
            optional_rng={"cuda": torch.cuda.get_rng_state(state.device)} if cuda else {},
            evaluation=parts.evaluation is not None,
        )
    except state_checks.Mismatch as e:
        raise _mismatch(path, str(e)) from None
    except state_checks.StateError as e:
        raise GanforgeError(
            f"checkpoint {path} was edited or damaged: {e}; use another checkpoint "
            "(or delete this one)"
        ) from None
    try:
        _load_modules(task.nets, saved["nets"])
        _load_modules({k: e.model for k, e in parts.ema.items()}, saved["ema"])
        for k, o in task.optimizers.items():
            load_optimizer(o, saved["optim"][k])
        for k, scaler in parts.scalers.items():
            if scaler.is_enabled() and k in saved.get("scalers", {}):
                scaler.load_state_dict(saved["scalers"][k])
        task.load_extra_state(saved["task"])
        state.gen.set_state(saved["rng"]["noise"])
        torch.set_rng_state(saved["rng"]["torch"])
        if "cuda" in saved["rng"] and cuda:
            torch.cuda.set_rng_state(saved["rng"]["cuda"], state.device)
        state.images_seen, state.iterations, state.wall_time = seen, iterations, wall
        state.scalars.load_state_dict(saved["acc"], state.device)
    except (KeyError, RuntimeError, ValueError, TypeError, AttributeError) as e:
        raise _mismatch(path, (str(e).strip().splitlines() or [type(e).__name__])[0]) from None
    if parts.evaluation is not None:
        parts.evaluation.load_state_dict(saved.get("eval", {}))


def _load_modules(modules: dict[str, nn.Module], states: dict[str, Any]) -> None:
    for k, m in modules.items():
        m.load_state_dict(states[k])


def status_record(
    state: TrainingState,
    status: str,
    run: dict[str, Any],
    run_dir: Path,
    evaluation: Any,
    extra: dict[str, Any],
) -> dict[str, Any]:
    """run.json: status, progress, timing, then ``run`` (name, device, precision, notes, ...),
    versions, checkpoints, the evaluator's summary and ``extra`` (an error, a signal, ...)."""
    run = dict(run)
    wall = state.wall_time
    record: dict[str, Any] = {
        "status": status,
        "name": run.pop("name", ""),
        "images_seen": state.images_seen,
        "images_total": run.pop("images_total", None),
        "iterations": state.iterations,
        "wall_time_s": round(wall, 2),
        "img_per_s": round(state.images_seen / wall, 1) if wall else None,
        **run,
        "ganforge": __version__,
        "torch": torch.__version__,
        "checkpoints": [p.name for p in ckpt.list_checkpoints(run_dir / "checkpoints")],
    }
    if evaluation is not None:
        record["eval"] = evaluation.summary()
    return {**record, **extra}


def _mismatch(path: Path, why: str) -> GanforgeError:
    return GanforgeError(
        f"checkpoint {path} does not match this run's model/data ({why[:300]}); "
        "resume it with the config it was trained with"
    )
