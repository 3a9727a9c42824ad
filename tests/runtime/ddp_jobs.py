"""Run by tests/train/test_distributed.py under torchrun: many jobs in one process group.

``python -m torch.distributed.run --nproc_per_node=2 --standalone tests/runtime/ddp_jobs.py JOBS.json``

Starting a torchrun launch costs seconds, so one launch runs every job in turn: ``cli`` jobs are
``ganforge train`` command lines (``cli.main``), ``trainer`` jobs train through the Trainer on
stand-in data and dump each rank's G, D and EMA weights, ``grad_hook`` checks the gradient-averaging
fallback for tasks without ``wrap_for_distributed``, ``interrupt`` sends SIGINT to rank 0 alone.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sys
import time
from pathlib import Path

import torch
import torch.distributed as dist
from safetensors.torch import save_file

from ganforge.cli import main as cli_main
from ganforge.config import load_config
from ganforge.runtime.distributed import average_gradients_on_step, init, launch_from_env
from ganforge.train.trainer import Trainer
from helpers import random_images


def run_trainer(job: dict) -> None:
    data = random_images(*job["data"]) if job.get("data") else None
    t = Trainer(load_config(job["preset"], job["overrides"]), data=data).fit()
    nets = {"G": t.task.G, "D": t.task.D, "EMA": t.ema["G"].model}
    tensors = {
        f"{n}.{k}": v.contiguous() for n, m in nets.items() for k, v in m.state_dict().items()
    }
    # The last step's gradients (averaged by DDP): Adam's steps hide their scale, these do not.
    for n in ("G", "D"):
        for k, p in nets[n].named_parameters():
            tensors[f"grad.{n}.{k}"] = p.grad.contiguous()
    out = Path(job["dump"])
    out.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out / f"rank{t.launch.rank}.safetensors"))
    (out / f"rank{t.launch.rank}.json").write_text(json.dumps({"notes": t.notes}))


def run_interrupted(job: dict) -> None:
    """Rank 0 alone gets SIGINT during its second G step; both ranks must stop together."""
    t = Trainer(load_config(job["preset"], job["overrides"]))
    g_phase = t.phases[-1]

    def g_loss_then_signal(*args, **kwargs):
        out = g_phase.loss(*args, **kwargs)
        if t.launch.is_main and t.iterations == 1:
            os.kill(os.getpid(), signal.SIGINT)
        return out

    t.phases[-1] = dataclasses.replace(g_phase, loss=g_loss_then_signal)
    try:
        t.fit()
    except KeyboardInterrupt:
        return
    raise AssertionError("the run was not interrupted")


def check_grad_hook(job: dict) -> None:
    """Rank r holds gradient r + 1; after the hook every rank holds the mean."""
    rank, world = dist.get_rank(), dist.get_world_size()
    p = torch.nn.Parameter(torch.zeros(3))
    opt = torch.optim.SGD([p], lr=1.0)
    average_gradients_on_step({"p": opt}, world)
    p.grad = torch.full((3,), float(rank + 1))
    opt.step()
    expected = -sum(range(1, world + 1)) / world
    assert torch.allclose(p.detach(), torch.full((3,), expected)), p


def main() -> None:
    jobs = json.loads(Path(sys.argv[1]).read_text())
    launch = launch_from_env()
    init(launch, torch.device("cpu"))  # the Trainers below find the group and keep it
    for job in jobs:
        t0 = time.perf_counter()
        if job["kind"] == "cli":
            rc = cli_main(job["args"])
            assert rc == 0, (job["args"], rc)
        elif job["kind"] == "trainer":
            run_trainer(job)
        elif job["kind"] == "interrupt":
            run_interrupted(job)
        else:
            check_grad_hook(job)
        name, took = job.get("name", job["kind"]), time.perf_counter() - t0
        print(f"rank {os.environ['RANK']}: {name} ok ({took:.1f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
