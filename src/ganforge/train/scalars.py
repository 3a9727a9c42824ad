"""The logged scalars of a run: summed on the device every step, read on the host at log steps.

Reading a device scalar waits for the device, so the loop never does it per step: each step adds
its scalars to running sums (and counts how many steps each sum holds), and ``means`` reads them
once per ``train.log_every`` images. Under torchrun the sums are averaged over the processes in
one all_reduce at those points, together with the stop flag (runtime/distributed.py).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from ganforge.runtime import distributed


class ScalarSums:
    def __init__(self) -> None:
        self.sums: dict[str, Tensor] = {}
        self.counts: dict[str, int] = {}

    def add(self, out: dict[str, Tensor], counts: dict[str, int]) -> None:
        """Add one iteration's scalars; ``counts[k]`` is how many steps ``out[k]`` sums."""
        for k, v in out.items():
            # clone: a CUDA graph's outputs are overwritten by its next replay
            self.sums[k] = self.sums[k] + v if k in self.sums else v.clone()
            self.counts[k] = self.counts.get(k, 0) + counts[k]

    def all_reduce(
        self, launch: distributed.Launch, flags: list[bool], device: torch.device
    ) -> list[bool]:
        """Under torchrun: average the sums over the ranks, in the same all_reduce as ``flags``
        (a stop request, a spent time budget): each returned flag is True when any rank's was."""
        keys = sorted(self.sums)
        flag = torch.tensor([float(f) for f in flags], device=device)
        parts = [torch.stack([self.sums[k].float() for k in keys])] if keys else []
        vec = distributed.all_reduce_sum(launch, torch.cat([*parts, flag]))
        self.sums = {k: vec[i] / launch.world_size for i, k in enumerate(keys)}
        return [bool(v > 0) for v in vec[len(keys) :]]

    def non_finite(self) -> list[str]:
        """The scalars whose sums are NaN/inf (one host sync)."""
        if not self.sums:
            return []
        values = torch.stack([v.float() for v in self.sums.values()])
        if bool(torch.isfinite(values).all()):
            return []
        return [k for k, v in self.sums.items() if not math.isfinite(float(v))]

    def means(self) -> dict[str, float]:
        """Per-step means since the last call (host reads), and a fresh start."""
        row = {k: float(self.sums[k]) / self.counts[k] for k in self.sums}
        self.sums, self.counts = {}, {}
        return row

    def state_dict(self) -> dict[str, Any]:
        return {"sum": dict(self.sums), "n": dict(self.counts)}

    def load_state_dict(self, state: dict[str, Any], device: torch.device) -> None:
        self.sums = {k: v.to(device) for k, v in state["sum"].items()}
        self.counts = dict(state["n"])
