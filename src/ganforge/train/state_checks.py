"""Checks of a checkpoint's state before a run resumes from it: the state is untrusted input.

``checkpoint.load`` vouches only for the file's form (a safetensors file whose JSON skeleton fits
its tensors). What the skeleton says is anyone's edit: images seen as text, negative or 1e30, a
learning rate as NaN, a data cursor past the data set, an RNG state of another size. Loaded
unchecked, such a value fails many steps later with a traceback, trains with NaN weights, or names
the next checkpoint ``ckpt--00000000392.safetensors`` and prunes the real last one. So every entry
the Trainer reads is checked here first, each against what this run's own objects hold (the live
optimizer's groups and parameter shapes, the task's own ``extra_state``, this process's RNG
states), and the first one that is off raises ``StateError`` naming its path in the state, e.g.
``optim.G.param_groups.0.lr='fast' is not a finite number``; ``Mismatch``, its kind for a
checkpoint that is sound but of another model or data set (weights of other shapes, another data
set size, another device's RNG). The networks are checked first, so a moment of the wrong shape
is damage, not a model mismatch. The Trainer turns either into one GanforgeError line;
``ganforge.runs.load_run`` uses ``check_progress`` the same way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor, nn

MAX_COUNT = 10**15
"""Largest count of images or steps accepted (the config's longest run is 10**13 images)."""
MAX_SECONDS = 1e10
"""Longest wall time accepted (~300 years)."""

# Optimizer hyperparameters that are never negative (Adam, AdamW, RMSprop, SGD), and those in [0, 1).
_NON_NEGATIVE = frozenset({"lr", "initial_lr", "eps", "weight_decay", "momentum", "dampening"})
_UNIT = frozenset({"betas", "alpha"})
# Chosen by this process (load_optimizer keeps its own): never read from the file.
_IMPLEMENTATION = frozenset({"fused", "foreach", "capturable", "differentiable"})
# The keys of a data sampler's state (ganforge.data.loader.IndexSampler.state_dict).
_SAMPLER_KEYS = frozenset({"epoch", "cursor", "n", "seed"})


class StateError(ValueError):
    """A checkpoint entry that fails its check; the message names its path in the state."""


class Mismatch(StateError):
    """A sound checkpoint of another model or data set than the run's config describes."""


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _fail(where: str, value: Any, why: str) -> StateError:
    return StateError(f"{where}={_show(value)} {why}")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def entry(state: Mapping[str, Any], key: str, where: str = "") -> Any:
    """``state[key]``, which must be there; mappings are what the Trainer indexes further."""
    if not isinstance(state, Mapping):
        raise _fail(where or "state", state, "is not a mapping")
    if key not in state:
        raise StateError(f"{where + '.' if where else ''}{key} is missing")
    return state[key]


def mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(where, value, "is not a mapping")
    return value


def count(value: Any, where: str) -> int:
    """A count of images or steps: an int in [0, MAX_COUNT)."""
    if not _is_int(value) or not 0 <= value < MAX_COUNT:
        raise _fail(where, value, f"is not a count (an integer from 0 to {MAX_COUNT:.0e})")
    return value


def seconds(value: Any, where: str) -> float:
    if not _is_number(value) or not 0 <= value < MAX_SECONDS:
        raise _fail(where, value, "is not a duration in seconds")
    return float(value)


def finite(value: Any, where: str) -> float:
    if not _is_number(value) or not math.isfinite(value):
        raise _fail(where, value, "is not a finite number")
    return float(value)


def check_progress(progress: Any, named_images: int | None = None) -> tuple[int, int, float]:
    """(images seen, iterations, wall time) of ``progress``. ``named_images``: the count in
    the checkpoint's file name, which must agree: the next checkpoint's name and the pruning of
    old ones follow the count, so a count that disagrees with the name would prune newer files."""
    progress = mapping(progress, "progress")
    seen = count(entry(progress, "images_seen", "progress"), "progress.images_seen")
    steps = count(entry(progress, "iterations", "progress"), "progress.iterations")
    wall = seconds(entry(progress, "wall_time", "progress"), "progress.wall_time")
    if steps > seen:
        raise _fail(
            "progress.iterations",
            steps,
            f"exceeds progress.images_seen={seen} (an iteration shows 1+)",
        )
    if named_images is not None and named_images != seen:
        raise _fail(
            "progress.images_seen", seen, f"disagrees with the file name's {named_images:,}"
        )
    return seen, steps, wall


def check_rng(rng: Any, live: Mapping[str, Tensor], optional: Mapping[str, Tensor] = {}) -> None:
    """Each RNG state in ``live`` (this process's, by name), and in ``optional`` where saved, must
    be in ``rng`` as a byte tensor of the same size: a state's size is fixed by its kind."""
    rng = mapping(rng, "rng")
    for key, mine in [*live.items(), *((k, v) for k, v in optional.items() if k in rng)]:
        value = entry(rng, key, "rng")
        where = f"rng.{key}"
        if not isinstance(value, Tensor) or value.dtype != torch.uint8 or value.dim() != 1:
            raise _fail(where, value, "is not a generator state (a 1-D uint8 tensor)")
        if value.numel() != mine.numel():
            raise Mismatch(
                f"{where} is a {value.numel()}-byte generator state; this process's needs "
                f"{mine.numel()} bytes (was the run trained on another device?)"
            )


def check_optimizer(state: Any, opt: torch.optim.Optimizer, where: str) -> None:
    """A saved optimizer state against the live optimizer it will be loaded into: the same groups
    and parameter counts, hyperparameters of the same types (finite, in range), and per-parameter
    buffers of the parameter's shape, floating point and finite (a NaN moment makes NaN weights)."""
    state = mapping(state, where)
    groups = entry(state, "param_groups", where)
    saved_state = mapping(entry(state, "state", where), f"{where}.state")
    if not isinstance(groups, list) or len(groups) != len(opt.param_groups):
        raise _fail(
            f"{where}.param_groups",
            groups,
            f"is not a list of this optimizer's {len(opt.param_groups)} parameter group(s)",
        )
    params: dict[int, Tensor] = {}
    needs: dict[int, frozenset[str] | None] = {}
    for i, (saved, live) in enumerate(zip(groups, opt.param_groups)):
        at = f"{where}.param_groups.{i}"
        saved = mapping(saved, at)
        ids = entry(saved, "params", at)
        if (
            not isinstance(ids, list)
            or len(ids) != len(live["params"])
            or not all(_is_int(k) and 0 <= k < MAX_COUNT for k in ids)
        ):
            raise _fail(
                f"{at}.params", ids, f"is not a list of {len(live['params'])} parameter ids"
            )
        for key, mine in live.items():
            if key in ("params", *_IMPLEMENTATION):
                continue
            if key not in saved:  # torch fills in a missing flag, never a missing number
                if _is_number(mine) or isinstance(mine, (Tensor, tuple, list)):
                    raise StateError(f"{at}.{key} is missing")
                continue
            _hyperparameter(saved[key], mine, f"{at}.{key}", key)
        need = _buffers_of(opt, saved)  # from the settings just checked
        for k, p in zip(ids, live["params"]):
            if k in params:
                raise _fail(f"{at}.params", ids, f"names parameter {k} twice")
            params[k], needs[k] = p, need
    kinds = set()
    for k, buffers in saved_state.items():
        at = f"{where}.state.{k}"
        if k not in params:
            raise StateError(f"{at} belongs to no parameter of the groups")
        buffers = mapping(buffers, at)
        for name, v in buffers.items():
            _buffer(v, params[k], f"{at}.{name}", name == "step")
        # A parameter's state is all there or not at all (then the optimizer starts it afresh):
        # one buffer missing fails at the next step, deep inside the optimizer.
        if needs[k] is None:  # an optimizer this module does not know: alike, at least
            kinds.add(frozenset(buffers) if buffers else None)
        elif buffers and (missing := sorted(needs[k] - set(buffers))):
            raise StateError(f"{at}.{missing[0]} is missing")
    if len(kinds - {None}) > 1:
        raise StateError(f"{where}.state holds parameters with different buffers")


def _buffers_of(opt: torch.optim.Optimizer, group: Mapping[str, Any]) -> frozenset[str] | None:
    """The buffers a parameter's state holds after a step of ``opt`` with the (saved) settings
    of its ``group``; None for an optimizer this module does not know."""
    if isinstance(opt, (torch.optim.Adam, torch.optim.AdamW)):
        return frozenset(
            {"step", "exp_avg", "exp_avg_sq"}
            | ({"max_exp_avg_sq"} if group.get("amsgrad") else set())
        )
    if isinstance(opt, torch.optim.RMSprop):
        extra = {"momentum_buffer"} if group.get("momentum", 0) > 0 else set()
        return frozenset(
            {"step", "square_avg"} | extra | ({"grad_avg"} if group.get("centered") else set())
        )
    return None


def _hyperparameter(value: Any, mine: Any, where: str, key: str) -> None:
    if isinstance(mine, bool):
        if not isinstance(value, bool):
            raise _fail(where, value, "is not true or false")
    elif _is_number(mine) or isinstance(mine, Tensor):  # a CUDA graph keeps lr as a tensor
        x = finite(value, where)
        if key in _NON_NEGATIVE and x < 0:
            raise _fail(where, value, "is negative")
        if key in _UNIT and not 0 <= x < 1:
            raise _fail(where, value, "is not in [0, 1)")
    elif isinstance(mine, (tuple, list)):
        if not isinstance(value, (tuple, list)) or len(value) != len(mine):
            raise _fail(where, value, f"is not a list of {len(mine)} numbers")
        for j, v in enumerate(value):
            _hyperparameter(v, mine[j], f"{where}.{j}", key)
    elif isinstance(mine, str) and not isinstance(value, str):
        raise _fail(where, value, "is not a string")


def _buffer(value: Any, param: Tensor, where: str, is_step: bool) -> None:
    if is_step:  # a 0-d tensor in today's optimizers, a number in old ones
        x = value.item() if isinstance(value, Tensor) and value.numel() == 1 else value
        if not _is_number(x) or not 0 <= x < MAX_COUNT:
            raise _fail(where, value, "is not a step count")
        return
    if not isinstance(value, Tensor) or not value.is_floating_point():
        raise _fail(where, value, "is not a floating-point tensor")
    if value.shape != param.shape:
        raise StateError(
            f"{where} has shape {tuple(value.shape)}, its parameter {tuple(param.shape)}"
        )
    if not bool(torch.isfinite(value).all()):
        raise StateError(f"{where} holds NaN or infinite values")


def check_scaler(state: Any, live: Mapping[str, Any], where: str) -> None:
    """A GradScaler state (fp16 loss scaling) like the live one's, with a positive scale."""
    check_like(state, live, where)
    for key in ("scale", "growth_factor", "backoff_factor", "growth_interval"):
        if key in live and finite(state[key], f"{where}.{key}") <= 0:
            raise _fail(f"{where}.{key}", state[key], "is not positive")


def check_scalar_sums(acc: Any) -> None:
    """The logged scalars summed since the last log step (``ScalarSums.state_dict``)."""
    acc = mapping(acc, "acc")
    sums = mapping(entry(acc, "sum", "acc"), "acc.sum")
    counts = mapping(entry(acc, "n", "acc"), "acc.n")
    for key, v in sums.items():
        where = f"acc.sum.{key}"
        if not isinstance(v, Tensor) or v.numel() != 1 or not v.is_floating_point():
            raise _fail(where, v, "is not a scalar tensor")
        if not math.isfinite(float(v)):
            raise _fail(where, float(v), "is not finite")
        if key not in counts or count(counts[key], f"acc.n.{key}") < 1:
            raise _fail(f"acc.n.{key}", counts.get(key), "is not a positive count")


def check_eval_state(state: Any) -> None:
    """The evaluation-during-training record (``TrainingEval.state_dict``)."""
    state = mapping(state, "eval")
    metric = state.get("metric")
    if metric is not None and not isinstance(metric, str):
        raise _fail("eval.metric", metric, "is not a metric name")
    if state.get("best") is not None:
        finite(state["best"], "eval.best")
    if state.get("best_images") is not None:
        count(state["best_images"], "eval.best_images")
    protocol = state.get("protocol")
    if protocol is not None and not (
        isinstance(protocol, Mapping) and isinstance(protocol.get("hash"), str)
    ):
        raise _fail("eval.protocol", protocol, "is not a protocol record with a hash")


def check_like(value: Any, template: Any, where: str) -> None:
    """``value`` must have the form of ``template``, what this run's own object would save (e.g.
    ``Task.extra_state()`` of the live task): for each key both hold, an int where it has an int
    (a count: non-negative where the template's is, below MAX_COUNT), a finite number where it
    has a float, tensors of its dtype and rank (finite when floating). A key the value lacks is
    the task's to judge (e.g. augmentation switched on when resuming). None in the template
    accepts anything (e.g. an image pool still empty). A data sampler's cursor must be inside its
    data set."""
    if template is None:
        return
    if isinstance(template, Mapping):
        value = mapping(value, where)
        for key, sub in template.items():
            if key in value:
                check_like(value[key], sub, f"{where}.{key}")
        if set(template) == _SAMPLER_KEYS and set(value) >= _SAMPLER_KEYS:
            if value["n"] != template["n"]:
                raise Mismatch(f"{where}.n={value['n']}: the data set now has {template['n']}")
            if value["cursor"] > value["n"]:
                raise _fail(f"{where}.cursor", value["cursor"], f"is past the {value['n']} items")
    elif isinstance(template, bool):
        if not isinstance(value, bool):
            raise _fail(where, value, "is not true or false")
    elif _is_int(template):
        low = 0 if template >= 0 else -MAX_COUNT
        if not _is_int(value) or not low <= value < MAX_COUNT:
            raise _fail(where, value, f"is not an integer from {low:,} to {MAX_COUNT:.0e}")
    elif isinstance(template, float):
        finite(value, where)
    elif isinstance(template, str):
        if not isinstance(value, str):
            raise _fail(where, value, "is not a string")
    elif isinstance(template, Tensor):
        if not isinstance(value, Tensor):
            raise _fail(where, value, "is not a tensor")
        if value.dtype != template.dtype or value.dim() != template.dim():
            raise StateError(
                f"{where} is a {value.dim()}-D {value.dtype} tensor, not {template.dim()}-D "
                f"{template.dtype}"
            )
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            raise StateError(f"{where} holds NaN or infinite values")
    elif isinstance(template, Sequence):
        if not isinstance(value, (list, tuple)):
            raise _fail(where, value, "is not a list")
        if len(value) == len(template):
            for i, (v, t) in enumerate(zip(value, template)):
                check_like(v, t, f"{where}.{i}")


def check_weights(weights: Any, nets: Mapping[str, nn.Module], where: str) -> None:
    """``weights[name]`` for each network: a state dict of tensors (else StateError) with this
    network's keys and shapes (else Mismatch: a checkpoint of another model)."""
    weights = mapping(weights, where)
    for name, net in nets.items():
        sd = mapping(entry(weights, name, where), f"{where}.{name}")
        mine = net.state_dict()
        for key, v in sd.items():
            if not isinstance(v, Tensor):
                raise _fail(f"{where}.{name}.{key}", v, "is not a tensor")
        if set(sd) != set(mine):
            extra, missing = sorted(set(sd) - set(mine)), sorted(set(mine) - set(sd))
            raise Mismatch(
                f"{where}.{name} has {len(extra)} weight(s) this model lacks and lacks "
                f"{len(missing)} it has (e.g. {(extra or missing)[0]})"
            )
        for key, v in mine.items():
            if sd[key].shape != v.shape:
                raise Mismatch(
                    f"{where}.{name}.{key} has shape {tuple(sd[key].shape)}, this model's "
                    f"{tuple(v.shape)}"
                )


def check_training_state(
    state: Mapping[str, Any],
    *,
    named_images: int | None,
    nets: Mapping[str, nn.Module],
    ema: Mapping[str, nn.Module],
    optimizers: Mapping[str, torch.optim.Optimizer],
    scalers: Mapping[str, Mapping[str, Any]],
    task_state: Any,
    rng: Mapping[str, Tensor],
    optional_rng: Mapping[str, Tensor] = {},
    evaluation: bool = False,
) -> tuple[int, int, float]:
    """Everything ``Trainer.load_checkpoint`` reads, against this run's own objects: the networks
    and the EMA copies (first: a checkpoint of another model is a Mismatch), the optimizers, the
    enabled loss scalers (``scalers``: their live state dicts), the task's state (``task_state``:
    what the live task's ``extra_state`` returns), the RNG states, the logged sums, the
    evaluation record. Returns (images seen, generator steps, wall time); the first entry that is
    off raises StateError."""
    check_weights(entry(state, "nets"), nets, "nets")
    check_weights(entry(state, "ema"), ema, "ema")
    seen, steps, wall = check_progress(entry(state, "progress"), named_images)
    saved = mapping(entry(state, "optim"), "optim")
    for key, opt in optimizers.items():
        check_optimizer(entry(saved, key, "optim"), opt, f"optim.{key}")
    saved_scalers = state.get("scalers", {})
    for key, live in scalers.items():
        if isinstance(saved_scalers, Mapping) and key in saved_scalers:
            check_scaler(saved_scalers[key], live, f"scalers.{key}")
    check_like(entry(state, "task"), task_state, "task")
    check_rng(entry(state, "rng"), rng, optional_rng)
    check_scalar_sums(entry(state, "acc"))
    if evaluation and "eval" in state:
        check_eval_state(state["eval"])
    return seen, steps, wall
