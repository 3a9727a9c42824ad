"""What a checkpoint and run.json hold of a Trainer, and how a checkpoint comes back.

A checkpoint (train/checkpoint.py writes it: safetensors plus a JSON skeleton, never pickle) holds
the task's networks, the EMA copies, the optimizers' states made device-neutral (optim_state.py),
the fp16 loss scalers, every random generator's state, the task's own state (data position,
counters, image pools, ADA's p), images seen, steps and training time, the logged sums not yet
written, evaluation state and metadata. Restoring checks every entry against this run's objects
first (state_checks.py): a checkpoint of another model is "does not match", an edited or damaged
one says which entry; only then is anything loaded, so a refused checkpoint changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from ganforge.errors import GanforgeError
from ganforge.train import checkpoint as ckpt
from ganforge.train import state_checks
from ganforge.train.legacy import upgrade
from ganforge.train.optim_state import load_optimizer, portable
from ganforge.version import __version__

if TYPE_CHECKING:  # the Trainer is this module's only caller; importing it would be a cycle
    from ganforge.train.trainer import Trainer


def training_state(t: Trainer) -> dict[str, Any]:
    """What a checkpoint holds of trainer ``t``: networks, EMA copies, optimizers (device-neutral),
    loss scalers, RNG states, the task's own state, progress, the log sums and metadata."""
    state: dict[str, Any] = {
        "nets": {k: m.state_dict() for k, m in t.task.nets.items()},
        "ema": {k: e.model.state_dict() for k, e in t.ema.items()},
        "optim": {k: portable(o.state_dict()) for k, o in t.task.optimizers.items()},
        "rng": {"torch": torch.get_rng_state(), "noise": t.gen.get_state()},
        "task": t.task.extra_state(),
        "progress": {
            "images_seen": t.images_seen,
            "g_steps": t.g_steps,
            "wall_time": t.wall_time,
        },
        "acc": t.scalars.state_dict(),
        "meta": {
            "ganforge": __version__,
            "model": t.cfg.to_dict()["model"],
            "data": {
                "channels": t.cfg.data.channels,
                "resolution": t.cfg.data.resolution,
                "source": t.cfg.data.source,
                "num_classes": t.data.num_classes,
                "class_names": list(t.data.class_names),
            },
        },
    }
    if any(s.is_enabled() for s in t.scalers.values()):
        state["scalers"] = {k: s.state_dict() for k, s in t.scalers.items()}
    if t.device.type == "cuda":
        state["rng"]["cuda"] = torch.cuda.get_rng_state(t.device)
    if t.evaluation is not None:
        state["eval"] = t.evaluation.state_dict()
    return state


def restore_training_state(t: Trainer, path: Path) -> None:
    """Load the checkpoint at ``path`` into ``t``: every entry checked first (a checkpoint of
    another model, or one edited or damaged, is one line), then restored in place."""
    state = upgrade(ckpt.load(path))
    cuda = t.device.type == "cuda"
    try:
        seen, steps, wall = state_checks.check_training_state(
            state,
            named_images=ckpt.images_of(path),
            nets=t.task.nets,
            ema={k: e.model for k, e in t.ema.items()},
            optimizers=t.task.optimizers,
            scalers={k: s.state_dict() for k, s in t.scalers.items() if s.is_enabled()},
            task_state=t.task.extra_state(),
            rng={"torch": torch.get_rng_state(), "noise": t.gen.get_state()},
            optional_rng={"cuda": torch.cuda.get_rng_state(t.device)} if cuda else {},
            evaluation=t.evaluation is not None,
        )
    except state_checks.Mismatch as e:
        raise _mismatch(path, str(e)) from None
    except state_checks.StateError as e:
        raise GanforgeError(
            f"checkpoint {path} was edited or damaged: {e}; use another checkpoint "
            "(or delete this one)"
        ) from None
    try:
        for k, m in t.task.nets.items():
            m.load_state_dict(state["nets"][k])
        for k, e in t.ema.items():
            e.model.load_state_dict(state["ema"][k])
        for k, o in t.task.optimizers.items():
            load_optimizer(o, state["optim"][k])
        for k, scaler in t.scalers.items():
            if scaler.is_enabled() and k in state.get("scalers", {}):
                scaler.load_state_dict(state["scalers"][k])
        t.task.load_extra_state(state["task"])
        t.gen.set_state(state["rng"]["noise"])
        torch.set_rng_state(state["rng"]["torch"])
        if "cuda" in state["rng"] and t.device.type == "cuda":
            torch.cuda.set_rng_state(state["rng"]["cuda"], t.device)
        t.images_seen, t.g_steps, t.wall_time = seen, steps, wall
        t.scalars.load_state_dict(state["acc"], t.device)
    except (KeyError, RuntimeError, ValueError, TypeError, AttributeError) as e:
        raise _mismatch(path, (str(e).strip().splitlines() or [type(e).__name__])[0]) from None
    if t.evaluation is not None:
        t.evaluation.load_state_dict(state.get("eval", {}))


def status_record(t: Trainer, status: str, extra: dict[str, Any]) -> dict[str, Any]:
    """run.json: status, progress, timing, device and precision, notes, versions, checkpoints."""
    return {
        "status": status,
        "name": t.cfg.name,
        "images_seen": t.images_seen,
        "images_total": t.cfg.train.images,
        "g_steps": t.g_steps,
        "wall_time_s": round(t.wall_time, 2),
        "img_per_s": round(t.images_seen / t.wall_time, 1) if t.wall_time else None,
        "device": str(t.device),
        "world_size": t.launch.world_size,
        "precision": t.precision,
        "compile": t.cfg.runtime.compile,
        "cuda_graphs": t._use_graph,
        "notes": t.notes,
        "ganforge": __version__,
        "torch": torch.__version__,
        "checkpoints": [p.name for p in ckpt.list_checkpoints(t.run_dir / "checkpoints")],
        **({"eval": t.evaluation.summary()} if t.evaluation is not None else {}),
        **extra,
    }


def _mismatch(path: Path, why: str) -> GanforgeError:
    return GanforgeError(
        f"checkpoint {path} does not match this run's model/data ({why[:300]}); "
        "resume it with the config it was trained with"
    )
