"""Data-parallel training under torchrun: one process per device, gradients averaged by DDP.

PyTorch's own engine (Li et al. 2020, "PyTorch Distributed: Experiences on Accelerating Data
Parallel Training", VLDB) does the work: ``torchrun`` starts the processes and sets WORLD_SIZE, RANK
and LOCAL_RANK; each process joins one group (gloo on CPU, NCCL on CUDA, device cuda:LOCAL_RANK);
``DistributedDataParallel`` averages the gradients during backward.

Equivalence by construction. ``train.batch_size`` is the GLOBAL batch B. Every rank draws the same
random numbers for the whole global batch (data indices from the global IndexSampler, noise z, the
hflip mask, the gradient-penalty alpha: the generators are seeded alike) and keeps its slice
``[rank * b : (rank + 1) * b]`` with b = B / world_size (``Shard.take``). Each rank's loss is a mean
over its b samples and DDP averages the gradients, so the update is the one-process update on the
same B samples up to float rounding, for any world size. Exceptions: batch norm normalises with
per-process statistics unless ``runtime.sync_bn`` (CUDA only in PyTorch: DDP rejects SyncBatchNorm
on CPU), and dropout masks are drawn per process.

Rank 0 alone writes (run folder, metrics, grids, checkpoints, TensorBoard); it picks the run folder
name and broadcasts it. Logged scalars are averaged over ranks with one all_reduce per log step,
which also carries the Ctrl-C flag and makes the NaN check agree, so nothing is exchanged per step
beyond DDP's own gradient reduction.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as _dt
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import Tensor, nn

from ganforge.errors import GanforgeError
from ganforge.runtime.device import resolve_device


@dataclass(frozen=True)
class Launch:
    """Where this process sits in a torchrun launch; ``Launch()`` is a plain single process."""

    world_size: int = 1
    """Processes in the job (all nodes)."""
    rank: int = 0
    """This process's index in the job; rank 0 writes the run folder."""
    local_rank: int = 0
    """Index on this node: the CUDA device this process uses."""
    local_world_size: int = 1
    """Processes on this node (torchrun's --nproc_per_node)."""

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def launch_from_env(env: Mapping[str, str] | None = None) -> Launch:
    """Read torchrun's variables; without them (or with WORLD_SIZE=1) a single process."""
    env = os.environ if env is None else env
    world = int(env.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Launch()
    return Launch(
        world_size=world,
        rank=int(env.get("RANK", "0")),
        local_rank=int(env.get("LOCAL_RANK", "0")),
        local_world_size=int(env.get("LOCAL_WORLD_SIZE", str(world))),
    )


def training_device(launch: Launch, name: str) -> torch.device:
    """``runtime.device`` for this process: under torchrun, CUDA means cuda:LOCAL_RANK."""
    if not launch.distributed:
        return resolve_device(name)
    dev = resolve_device(name)
    if dev.type != "cuda":
        return dev
    if dev.index is not None:
        raise GanforgeError(
            f"runtime.device={name} under torchrun: each process uses cuda:LOCAL_RANK, "
            "so set runtime.device=cuda (or auto) and pick GPUs with CUDA_VISIBLE_DEVICES"
        )
    count = torch.cuda.device_count()
    if launch.local_world_size > count:
        raise GanforgeError(
            f"torchrun started {launch.local_world_size} processes on this node but it has "
            f"{count} GPU{'s' * (count != 1)}: use --nproc_per_node={count} (one process per GPU)"
        )
    return torch.device("cuda", launch.local_rank)


def check_batch(launch: Launch, batch_size: int) -> None:
    """The global batch must split evenly: every rank runs the same shapes."""
    if batch_size % launch.world_size:
        raise GanforgeError(
            f"train.batch_size={batch_size} (the global batch) does not split over "
            f"{launch.world_size} processes: use a multiple of {launch.world_size}"
        )


def init(launch: Launch, device: torch.device) -> None:
    """Join the process group (gloo on CPU, NCCL on CUDA); a no-op for a single process.

    The group lives as long as the process (left at exit): later Trainers in the same process
    reuse it, since joining a second group after leaving one hangs under torchrun's store.
    """
    if not launch.distributed or dist.is_initialized():
        return
    if device.type == "cuda":
        torch.cuda.set_device(device)
    backend = "nccl" if device.type == "cuda" else "gloo"
    # device_id binds NCCL to this GPU at once (no guessing in barrier/broadcast); gloo ignores it.
    kwargs = {"device_id": device} if device.type == "cuda" else {}
    # Rank 0 alone evaluates and writes checkpoints while the others wait in a collective: give
    # that more room than NCCL's default 10 minutes.
    dist.init_process_group(backend, timeout=_dt.timedelta(minutes=30), **kwargs)
    atexit.register(shutdown)


def shutdown() -> None:
    """Leave the process group (registered to run at exit)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


@dataclass(frozen=True)
class Shard:
    """This rank's slice of a global batch. Random draws are made for the global batch on every
    rank (same seed, same stream) and sliced, so a run does not depend on the world size."""

    rank: int = 0
    world_size: int = 1

    def take(self, x: Tensor) -> Tensor:
        """(B, ...) global -> (B / world_size, ...) local; the tensor itself for one process."""
        if self.world_size == 1:
            return x
        b = x.shape[0] // self.world_size
        return x[self.rank * b : (self.rank + 1) * b]


def shard_of(launch: Launch) -> Shard:
    return Shard(launch.rank, launch.world_size)


def ddp_wrapper(
    launch: Launch, device: torch.device, sync_bn: bool = False
) -> Callable[[nn.Module], nn.Module]:
    """``wrap(module)`` -> DistributedDataParallel(module), optionally with SyncBatchNorm.

    SyncBatchNorm converts the batch-norm layers of ``module`` in place (the parameters stay the
    same objects, so optimizers and checkpoints are unaffected).
    """

    def wrap(module: nn.Module) -> nn.Module:
        if sync_bn and device.type == "cuda":
            nn.SyncBatchNorm.convert_sync_batchnorm(module)
        return nn.parallel.DistributedDataParallel(
            module, device_ids=[device.index] if device.type == "cuda" else None
        )

    return wrap


def average_gradients_on_step(optimizers: Mapping[str, torch.optim.Optimizer], world: int) -> None:
    """Fallback for a task without ``wrap_for_distributed``: before each optimizer step, average
    the gradients over ranks (one all_reduce of all of them, flattened). Correct, but without
    DDP's overlap of communication and backward."""

    def hook(opt: torch.optim.Optimizer, args, kwargs) -> None:
        grads = [p.grad for g in opt.param_groups for p in g["params"] if p.grad is not None]
        if not grads:
            return
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)
        flat /= world
        parts = flat.split([g.numel() for g in grads])
        torch._foreach_copy_(grads, [t.view_as(g) for t, g in zip(parts, grads)])

    for opt in optimizers.values():
        opt.register_step_pre_hook(hook)


def broadcast_object(launch: Launch, obj):
    """Rank 0's ``obj`` on every rank (e.g. the run folder name it picked)."""
    if not launch.distributed:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def barrier(launch: Launch) -> None:
    if launch.distributed:
        dist.barrier()


@contextlib.contextmanager
def main_first(launch: Launch) -> Iterator[None]:
    """Rank 0 runs the block first (e.g. downloads into the shared cache), then the others.

    If rank 0 fails (e.g. the data is missing), the others stop with one line instead of a
    connection error, and rank 0's own message says what went wrong.
    """
    if not launch.distributed:
        yield
        return
    if launch.is_main:
        try:
            yield
        except BaseException:
            broadcast_object(launch, False)
            raise
        broadcast_object(launch, True)
        return
    if not broadcast_object(launch, None):
        raise GanforgeError("rank 0 could not load the data (see its message)")
    yield


def all_reduce_sum(launch: Launch, x: Tensor) -> Tensor:
    """Sum of ``x`` over ranks (in place); ``x`` for one process."""
    if launch.distributed:
        dist.all_reduce(x)
    return x


def all_reduce_sum_in_place(x: Tensor) -> Tensor:
    """Sum of ``x`` over the ranks of the joined process group (``x`` alone without one)."""
    if dist.is_available() and dist.is_initialized():
        dist.all_reduce(x)
    return x


def has_batch_norm(*modules: nn.Module) -> bool:
    return any(
        isinstance(m, nn.modules.batchnorm._BatchNorm) for mod in modules for m in mod.modules()
    )


def distribute_task(task, launch: Launch, device: torch.device, cfg) -> list[str]:
    """Route the task's training calls through DDP and shard its random draws (the contract of
    ``Task.wrap_for_distributed``); returns one-line notes about what differs from one process."""
    rt, n, notes = cfg.runtime, launch.world_size, []
    sync_bn = rt.sync_bn and device.type == "cuda"
    if rt.sync_bn and not sync_bn:
        notes.append(
            "runtime.sync_bn: PyTorch's SyncBatchNorm needs CUDA (DDP rejects it on CPU); "
            "batch norm uses each process's statistics"
        )
    elif not sync_bn and has_batch_norm(*task.nets.values()):
        notes.append(
            f"batch norm normalises over each process's {cfg.train.batch_size // n} "
            "images (runtime.sync_bn=true on CUDA: over the global batch)"
        )
    wrap = ddp_wrapper(launch, device, sync_bn)
    if not task.wrap_for_distributed(wrap, shard_of(launch)):
        average_gradients_on_step(task.optimizers, n)
        notes.append(
            f"{type(task).__name__} does not wrap its calls for DDP: gradients are averaged "
            "before each optimizer step and its random draws are not sharded"
        )
    return notes
