"""Refuse a run whose networks cannot fit in memory, from an estimate made before any allocation.

A latent size or width mistyped by a few digits (``model.g_width=16384``) asks for hundreds of
GiB. The first allocation then fails deep inside a layer's constructor with a traceback or, worse,
Linux's overcommit lets it through and the kernel kills the process later, with nothing said. So
before the Trainer builds a task it builds the same task on the ``meta`` device, where tensors
have shapes but no storage (no memory, no time), counts what the real one would hold, and refuses
an estimate above ``SAFE_FRACTION`` of the memory available, naming the keys to lower.

The estimate, in bytes of the real tensors (float32 master weights whatever the precision):

    weights      every parameter and buffer of the task's networks (and e.g. SRGAN's VGG)
    gradients    one per trainable parameter
    optimizer    Adam's two moments (three with AMSGrad), RMSprop's one to three buffers
    EMA          a copy of each network in ``Task.ema_targets`` (with ``train.ema_halflife``)
    checkpoint   the serialised copy of weights, EMA and moments made while one is written

Activations are not in it (they scale with the batch, and a run that runs out of them fails at
its first step with a one-line error, train/failures.py). On the CPU the sum is compared with
``MemAvailable`` of /proc/meminfo, or a container's cgroup limit when that is lower; on a GPU the
device part (plus the data set the task copies there) with the free device memory and the
checkpoint copy with the host's. Where none can be read (other systems), or a task cannot be
built on ``meta`` (a plug-in that allocates real tensors itself), nothing is refused.
``GANFORGE_MEMORY_CHECK=0`` switches the check off.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn
from torch.overrides import TorchFunctionMode

from ganforge.config import Config
from ganforge.data.dataset import ImageData
from ganforge.errors import GanforgeError
from ganforge.tasks.base import Task

SAFE_FRACTION = 0.75
"""Largest share of the available memory the estimate may take: the rest is for activations,
the data set's batches, Python and the libraries."""
ENV_SWITCH = "GANFORGE_MEMORY_CHECK"
"""Set to 0 to skip the check (e.g. when swap or unified memory makes the estimate moot)."""
_UNLIMITED = 1 << 60
MEMINFO = "/proc/meminfo"
CGROUP = "/sys/fs/cgroup"
_NOT_SIZES = ("train", "runtime", "loss", "g_optim", "d_optim", "augment")
"""Config sections whose numbers never size a network (the search for keys to name skips them)."""
MAX_TRIALS = 40
"""Most rebuilds when searching which keys make a refused model large."""

# Tensor factories whose default device the meta mode sets. One given a generator keeps the CPU:
# data samplers draw real permutations from a CPU generator and keep them.
_FACTORIES = frozenset(
    {
        torch.empty,
        torch.empty_strided,
        torch.zeros,
        torch.ones,
        torch.full,
        torch.rand,
        torch.randn,
        torch.randint,
        torch.randperm,
        torch.arange,
        torch.eye,
        torch.linspace,
        torch.tensor,
        torch.as_tensor,
        torch.scalar_tensor,
    }
)


class _OnMeta(TorchFunctionMode):
    """New tensors without a device (parameters, buffers) are made on ``meta``: shapes only."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in _FACTORIES and kwargs.get("device") is None and kwargs.get("generator") is None:
            kwargs["device"] = "meta"
        return func(*args, **kwargs)


@dataclass(frozen=True)
class Estimate:
    """What a task's tensors would take, in bytes, by kind (see the module doc)."""

    weights: int
    gradients: int
    optimizer: int
    ema: int
    checkpoint: int
    parameters: dict[str, int]
    """Parameter count of each network, by its name in ``Task.nets``."""

    @property
    def resident(self) -> int:
        """Held for the whole run (on the training device)."""
        return self.weights + self.gradients + self.optimizer + self.ema

    @property
    def total(self) -> int:
        return self.resident + self.checkpoint


def build_on_meta(cls: type[Task], cfg: Config, data: ImageData, precision: str) -> Task | None:
    """The task of ``cfg`` with every network on ``meta``, or None when it cannot be built so."""
    runtime = dataclasses.replace(cfg.runtime, compile=False, cuda_graphs=False)
    try:
        with _OnMeta():
            return cls(
                dataclasses.replace(cfg, runtime=runtime), data, torch.device("meta"), precision
            )
    except Exception:  # a task that needs real tensors to build, or a config it refuses later
        return None


def _tensor_bytes(t: Tensor) -> int:
    return t.numel() * t.element_size()


def _state_multiple(opt: torch.optim.Optimizer, group: dict[str, Any]) -> int:
    """Buffers per parameter an optimizer keeps (Adam: two moments)."""
    if isinstance(opt, torch.optim.RMSprop):
        return 1 + (group.get("momentum", 0) > 0) + bool(group.get("centered"))
    if isinstance(opt, torch.optim.SGD):
        return int(group.get("momentum", 0) > 0)
    if isinstance(opt, (torch.optim.Adam, torch.optim.AdamW)):
        return 2 + bool(group.get("amsgrad"))
    return 2  # another optimizer: assume Adam's


def estimate(task: Task, ema: bool) -> Estimate:
    """Bytes of ``task``'s tensors (built on ``meta`` or for real); ``ema``: EMA copies kept."""
    modules = [m for m in vars(task).values() if isinstance(m, nn.Module)]
    modules += list(task.nets.values())
    seen: set[int] = set()
    weights = 0
    for m in modules:
        for t in [*m.parameters(), *m.buffers()]:
            if id(t) not in seen:
                seen.add(id(t))
                weights += _tensor_bytes(t)
    gradients = optimizer = 0
    for opt in task.optimizers.values():
        for group in opt.param_groups:
            size = sum(_tensor_bytes(p) for p in group["params"] if p.requires_grad)
            gradients += size
            optimizer += size * _state_multiple(opt, group)

    def net_bytes(m: nn.Module) -> int:
        return sum(_tensor_bytes(t) for t in [*m.parameters(), *m.buffers()])

    ema_bytes = sum(net_bytes(task.nets[k]) for k in task.ema_targets) if ema else 0
    nets = sum(net_bytes(m) for m in task.nets.values())
    return Estimate(
        weights=weights,
        gradients=gradients,
        optimizer=optimizer,
        ema=ema_bytes,
        checkpoint=nets + ema_bytes + optimizer,
        parameters={k: sum(p.numel() for p in m.parameters()) for k, m in task.nets.items()},
    )


def _read_int(path: str) -> int | None:
    try:
        with open(path, encoding="ascii") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _inactive_file(path: str, key: str) -> int:
    """Reclaimable page cache a cgroup's usage includes (the kernel drops it before an OOM)."""
    try:
        with open(path, encoding="ascii") as f:
            for line in f:
                name, value = line.split()
                if name == key:
                    return int(value)
    except (OSError, ValueError):
        pass
    return 0


def host_available() -> int | None:
    """Bytes the host can still give this process: ``MemAvailable``, or the container's cgroup
    headroom when lower (cgroup v2, then v1). None where neither can be read."""
    found = None
    try:
        with open(MEMINFO, encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    found = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    for limit, usage, stat, key in (
        ("memory.max", "memory.current", "memory.stat", "inactive_file"),
        ("memory/memory.limit_in_bytes", "memory/memory.usage_in_bytes", "memory/memory.stat",
         "total_inactive_file"),
    ):  # fmt: skip
        cap = _read_int(f"{CGROUP}/{limit}")
        used = _read_int(f"{CGROUP}/{usage}")
        if cap is None or used is None or cap >= _UNLIMITED:
            continue
        free = cap - max(0, used - _inactive_file(f"{CGROUP}/{stat}", key))
        found = free if found is None else min(found, free)
        break
    return found


def device_available(device: torch.device) -> int | None:
    """Free memory of a CUDA device; None for other devices."""
    if device.type != "cuda":
        return None
    try:
        return int(torch.cuda.mem_get_info(device)[0])
    except Exception:  # no driver answer: nothing to compare with
        return None


def size_text(n: float) -> str:
    """Bytes as 412.3 GiB (binary units, as ``free -h`` shows them)."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def count_text(n: int) -> str:
    """Parameters as 60.1 G, 1.1 M, 661 k."""
    for div, unit in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if n >= div:
            return f"{n / div:.3g} {unit}"
    return str(n)


def _halved(value: Any) -> Any:
    """A size value halved (an int, or a list of ints), or None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 2:
        return value // 2
    if (
        isinstance(value, (list, tuple))
        and value
        and all(isinstance(v, int) and not isinstance(v, bool) and v >= 2 for v in value)
    ):
        return type(value)(v // 2 for v in value)
    return None


def _sections(cfg: Config) -> list[tuple[str, Any]]:
    out = [
        (f.name, getattr(cfg, f.name))
        for f in dataclasses.fields(cfg)
        if f.name not in _NOT_SIZES and dataclasses.is_dataclass(getattr(cfg, f.name))
    ]
    return out + list(cfg.extra.items())


def _with(cfg: Config, section: str, key: str, value: Any) -> Config:
    new = dataclasses.replace(getattr(cfg, section), **{key: value})
    if section in cfg.extra:
        return dataclasses.replace(cfg, extra={**cfg.extra, section: new})
    return dataclasses.replace(cfg, **{section: new})


def size_keys(
    cls: type[Task], cfg: Config, data: ImageData, precision: str, total: int
) -> list[str]:
    """The config keys that make the estimate large, largest effect first: each int (or list of
    ints) of the sizing sections is halved in turn and the task rebuilt on ``meta``; a key whose
    halving cuts the estimate by a tenth or more is named, as ``key=value``."""
    ema = cfg.train.ema_halflife > 0
    found: list[tuple[int, str]] = []
    trials = 0
    for name, section in _sections(cfg):
        for f in dataclasses.fields(section):
            value = getattr(section, f.name)
            smaller = _halved(value)
            if smaller is None or trials >= MAX_TRIALS:
                continue
            trials += 1
            try:
                trial = _with(cfg, name, f.name, smaller)
            except Exception:  # the halved value is refused by the section's checks
                continue
            task = build_on_meta(cls, trial, data, precision)
            if task is None:
                continue
            cut = total - estimate(task, ema).total
            if cut >= total / 10:
                shown = value if not isinstance(value, (list, tuple)) else list(value)
                found.append((cut, f"{name}.{f.name}={shown}"))
    return [key for _, key in sorted(found, key=lambda t: -t[0])[:3]]


def check_memory(
    cls: type[Task],
    cfg: Config,
    data: ImageData,
    device: torch.device,
    precision: str,
    processes: int = 1,
    host: int | None = None,
    on_device: int | None = None,
) -> Estimate | None:
    """Refuse (one GanforgeError line) a task whose estimate exceeds ``SAFE_FRACTION`` of the
    memory available; return the estimate, or None when there was nothing to compare.

    ``processes``: training processes on this host sharing its memory (torchrun on CPU).
    ``host``/``on_device``: the available bytes, read from the system when None (tests pass them).
    """
    if os.environ.get(ENV_SWITCH, "1").strip() == "0":
        return None
    task = build_on_meta(cls, cfg, data, precision)
    if task is None:
        return None
    est = estimate(task, cfg.train.ema_halflife > 0)
    if device.type == "cuda":
        free = device_available(device) if on_device is None else on_device
        images = data.images if isinstance(data.images, Tensor) else None
        need = est.resident + (_tensor_bytes(images) if images is not None else 0)
        _refuse(cls, cfg, data, precision, est, need, free, f"free on {device}", device_part=True)
        need, free = 2 * est.checkpoint, host_available() if host is None else host
        _refuse(cls, cfg, data, precision, est, need, free, "available on the host")
    elif device.type == "cpu":
        free = host_available() if host is None else host
        need = est.total * processes
        where = "available" + (f" to {processes} processes" if processes > 1 else "")
        _refuse(cls, cfg, data, precision, est, need, free, where)
    return est


def _refuse(
    cls: type[Task],
    cfg: Config,
    data: ImageData,
    precision: str,
    est: Estimate,
    need: int,
    free: int | None,
    where: str,
    device_part: bool = False,
) -> None:
    if free is None or need <= SAFE_FRACTION * free:
        return
    keys = size_keys(cls, cfg, data, precision, est.total)
    nets = ", ".join(f"{k} {count_text(n)}" for k, n in est.parameters.items())
    what = "weights, gradients, optimizer state, EMA" if device_part else "training, checkpoints"
    lower = f"lower {' or '.join(keys)}" if keys else "use smaller networks"
    raise GanforgeError(
        f"this model needs about {size_text(need)} of memory ({what}; parameters: {nets}) but "
        f"{size_text(free)} is {where} and it may take at most {SAFE_FRACTION:.0%}: {lower} "
        f"({ENV_SWITCH}=0 skips this check)"
    )
