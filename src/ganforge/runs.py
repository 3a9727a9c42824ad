"""Open a finished (or interrupted) run folder: its config and its trained generator.

Every command that uses a trained model (eval, sample, interpolate, export, ...) starts here, so
"is this a ganforge run?" is answered once, with one kind of error message. The generator comes
from the newest checkpoint (or one named by the user), as its EMA copy when the run kept one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganforge.config import Config, load_run_config
from ganforge.errors import GanforgeError
from ganforge.train import checkpoint as ckpt


@dataclass
class LoadedRun:
    """A run folder opened for inference. ``G`` is in eval mode on ``device``."""

    run_dir: Path
    cfg: Config
    checkpoint: Path
    G: nn.Module
    num_classes: int
    """Classes the generator is conditioned on (0: unconditional)."""
    class_names: list[str]
    used_ema: bool
    images_seen: int
    state: dict[str, Any]
    """The whole checkpoint (D weights, optimizer state, ...) for commands that need more."""

    @property
    def z_dim(self) -> int:
        return int(self.G.z_dim)

    def build_discriminator(self) -> nn.Module:
        """The run's discriminator with its trained weights (inversion uses its features)."""
        from ganforge.models import build_discriminator

        D = build_discriminator(self.cfg, self.num_classes)
        D.load_state_dict(self.state["nets"]["D"])
        return D.to(next(self.G.parameters()).device).eval()


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


def load_run(
    run: str | Path,
    checkpoint: str | Path | None = None,
    ema: bool = True,
    device: str | torch.device = "cpu",
) -> LoadedRun:
    """Open ``run`` (a run folder or a checkpoint file) and rebuild its generator."""
    from ganforge.models import build_generator

    run_dir, ckpt_path = resolve_checkpoint(run, checkpoint)
    cfg = load_run_config(run_dir)
    if cfg.model.task != "gan":
        raise GanforgeError(
            f"{run_dir} is a {cfg.model.task} run (image-to-image): use `ganforge translate` or "
            "`ganforge upscale`, or ganforge.inference.load_translator in Python"
        )
    state = ckpt.load(ckpt_path)
    meta = state.get("meta", {})
    num_classes = int(meta.get("data", {}).get("num_classes", 0))
    G = build_generator(cfg, num_classes)
    use_ema = ema and "G" in state.get("ema", {})
    weights = state["ema"]["G"] if use_ema else state.get("nets", {}).get("G")
    if weights is None:
        raise GanforgeError(f"{ckpt_path} holds no generator weights")
    try:
        G.load_state_dict(weights)
    except RuntimeError as e:
        first = str(e).strip().splitlines()[0][:200]
        raise GanforgeError(
            f"{ckpt_path} does not match the model in {run_dir / 'config.yaml'} ({first}); "
            "was the config edited after training?"
        ) from None
    G = G.to(device).eval().requires_grad_(False)
    return LoadedRun(
        run_dir=run_dir,
        cfg=cfg,
        checkpoint=ckpt_path,
        G=G,
        num_classes=num_classes if cfg.model.conditional != "none" else 0,
        class_names=list(meta.get("data", {}).get("class_names", [])),
        used_ema=use_ema,
        images_seen=int(state.get("progress", {}).get("images_seen", 0)),
        state=state,
    )
