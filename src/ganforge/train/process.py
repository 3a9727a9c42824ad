"""The process a run trains in: threads, torchrun launch, device, precision, memory settings.

Under torchrun (runtime/distributed.py) the checks come first, so that a bad launch fails on
every rank before any of them waits for the others; then the process group starts. Each fallback
(no bf16 units, no glibc) is a one-line note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from ganforge.config import Config
from ganforge.runtime import distributed
from ganforge.runtime.cpu_memory import keep_freed_memory
from ganforge.runtime.device import choose_precision
from ganforge.train.run_folder import check_writable


@dataclass
class Process:
    launch: distributed.Launch
    device: torch.device
    precision: str
    shard: distributed.Shard
    notes: list[str] = field(default_factory=list)


def start_process(cfg: Config, run_dir: str | Path | None) -> Process:
    """Set up this process for ``cfg``'s run (``run_dir``: the folder a resume continues)."""
    rt = cfg.runtime
    if rt.threads > 0:
        torch.set_num_threads(rt.threads)
    launch = distributed.launch_from_env()
    device = distributed.training_device(launch, rt.device)
    distributed.check_batch(launch, cfg.train.batch_size)
    if launch.is_main:  # a run folder that cannot be written fails before the data is read
        resuming = run_dir is not None and Path(run_dir).is_dir()
        check_writable(run_dir or cfg.out_dir, "run folder" if resuming else "out_dir")
    precision, note = choose_precision(rt.precision, device)
    notes = [note] if note else []
    if rt.keep_cpu_memory and device.type == "cpu":
        note = keep_freed_memory()  # runtime/cpu_memory.py: stops per-step page faults
        notes += [note] if note else []
    distributed.init(launch, device)
    return Process(launch, device, precision, distributed.shard_of(launch), notes)
