"""One training iteration, the same for every task: its phases' updates, then the EMA.

For each phase (``Task.phases``, ganforge/tasks/base.py) and each of its repeats: the phase's
frozen networks are frozen (no weight gradient is computed for them), its loss is computed, then
zero_grad, backward (through a GradScaler under fp16), the gradient norm at log steps, the
optimizer step and the phase's ``after_step``. A repeat of a fresh-batch phase takes the next
batch; a phase that is not fresh reuses the last one (a GAN's G step on D's batch). What an
update's loss carries (``PhaseLoss.carry``, e.g. a GAN's fake batch with G's graph) is handed to
the next update's loss as its ``carry`` argument, and dropped at the end of the iteration. Device
work only once the draws are made, so a whole iteration can be captured in a CUDA graph
(train/cuda_graph.py), with this eager code as its reference twin.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from ganforge.errors import GanforgeError
from ganforge.tasks.base import Batch, Phase, Task
from ganforge.train.ema import EMA

LEADING = ["images", "iterations"]
"""metrics.csv's first columns: images seen and iterations (for a GAN, its generator steps)."""
TIMING = ["img_per_s", "wall_s"]


class Steps:
    """The phases of ``task`` with their loss scalers, and the iteration built from them."""

    def __init__(self, task: Task, device: torch.device) -> None:
        self.task = task
        self.phases: list[Phase] = task.phases()
        self.draws_per_iteration = fresh_batches(self.phases)
        # float16 gradients underflow without loss scaling; disabled scalers are pass-throughs.
        fp16 = task.precision == "fp16"
        self.scalers = {k: torch.amp.GradScaler(device.type, enabled=fp16) for k in task.optimizers}
        self.params = {
            k: [p for g in o.param_groups for p in g["params"]] for k, o in task.optimizers.items()
        }

    def draws(self) -> list[Any]:
        """The host-side draws (data indices) of the next iteration's fresh batches."""
        return [self.task.draw() for _ in range(self.draws_per_iteration)]

    def step(
        self, phase: Phase, batch: Batch, gen: torch.Generator, measure: bool, carry: Any = None
    ) -> tuple[dict[str, Tensor], Any]:
        """One update of ``phase`` given the previous update's ``carry``; returns its scalars
        (and gradient norm at log steps) and what it carries to the next."""
        frozen = [self.task.nets[k] for k in phase.frozen]
        for m in frozen:
            m.requires_grad_(False)
        try:
            result = phase.loss(batch, gen, measure, carry)
            if result is None:  # the task skips this update (e.g. during a pre-training phase)
                return {}, None
            opt, scaler = self.task.optimizers[phase.optimizer], self.scalers[phase.optimizer]
            opt.zero_grad(set_to_none=True)
            scaler.scale(result.loss).backward()
        finally:
            for m in frozen:
                m.requires_grad_(True)
        out = dict(result.scalars)
        if measure:
            out[f"{phase.name.lower()}_grad_norm"] = measured_norm(
                self.params[phase.optimizer], scaler, opt
            )
        scaler.step(opt)
        scaler.update()
        if phase.after_step is not None:
            phase.after_step()
        return out, result.carry

    def iteration(
        self,
        draws: Sequence[Any],
        gen: torch.Generator,
        ema: dict[str, EMA],
        beta: float | Tensor,
        measure: bool,
    ) -> tuple[dict[str, Tensor], dict[str, int]]:
        """The phases, then the EMA update: the scalars (summed over a phase's repeats) and how
        many steps each sums."""
        out: dict[str, Tensor] = {}
        counts: dict[str, int] = {}
        batch: Batch = None
        carry: Any = None
        used = 0
        # 1. the phases in order: each repeat on a fresh batch, or the previous phase's batch,
        #    each given what the update before it carried
        for phase in self.phases:
            for _ in range(phase.repeats):
                if phase.fresh_batch or used == 0:
                    batch = self.task.make_batch(draws[used], gen)
                    used += 1
                scalars, carry = self.step(phase, batch, gen, measure, carry)
                for k, v in scalars.items():
                    out[k] = out[k] + v if k in out else v
                    counts[k] = counts.get(k, 0) + 1
        # 2. EMA of the networks the task averages
        for e in ema.values():
            e.update(beta)
        return out, counts


def fresh_batches(phases: list[Phase]) -> int:
    """Batches drawn per iteration, as ``Steps.iteration`` draws them: one per repeat of a
    fresh-batch phase, and one for a first phase that reuses nothing. Images seen per iteration
    are this times the batch size."""
    used = 0
    for phase in phases:
        for _ in range(phase.repeats):
            if phase.fresh_batch or used == 0:
                used += 1
    if used == 0:
        raise GanforgeError("a task must declare at least one phase (Task.phases)")
    return used


def log_columns(task: Task) -> list[str]:
    """metrics.csv's columns: images and iterations, the task's scalars, the learning rates, the
    timing, then the task's extra scalars (the order the tasks have always written)."""
    lrs = [f"lr_{k.lower()}" for k in task.optimizers]
    cols: list[str] = []
    for c in [*LEADING, *task.log_columns, *lrs, *TIMING, *task.extra_columns]:
        if c not in cols:
            cols.append(c)
    return cols


def measured_norm(
    params: list[Tensor], scaler: torch.amp.GradScaler, opt: torch.optim.Optimizer
) -> Tensor:
    """The gradient norm before the step, unscaled. With fp16, overflowing gradients are how the
    scaler finds its scale (it skips that step and lowers the scale): such a step logs 0 instead of
    stopping the run as if it diverged (the losses still catch a real divergence)."""
    scaler.unscale_(opt)
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return torch.zeros(())
    norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
    if scaler.is_enabled():
        norm = torch.nan_to_num(norm, nan=0.0, posinf=0.0)
    return norm
