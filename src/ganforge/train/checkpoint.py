"""Checkpoints: one safetensors file holding every tensor, with the rest as JSON in its metadata.

Nothing is ever unpickled: optimizer states, RNG states and counters are split into tensors (stored
by name) and a JSON skeleton that says where each tensor goes back. Files are written to a temporary
name and renamed, so a crash mid-write leaves the previous checkpoint intact.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from ganforge.errors import GanforgeError

FORMAT = "ganforge-checkpoint-1"
_NAME = re.compile(r"^ckpt-(\d{12})\.safetensors$")


def _flatten(obj: Any, prefix: str, tensors: dict[str, torch.Tensor]) -> Any:
    """Replace tensors by {"$t": key}; keep the JSON-able rest. Int dict keys and tuples survive."""
    if isinstance(obj, torch.Tensor):
        key = prefix.strip(".") or "_"
        tensors[key] = obj.detach().contiguous().cpu()
        return {"$t": key}
    if isinstance(obj, dict):
        if obj and all(isinstance(k, int) for k in obj):
            return {"$int": {str(k): _flatten(v, f"{prefix}{k}.", tensors) for k, v in obj.items()}}
        return {str(k): _flatten(v, f"{prefix}{k}.", tensors) for k, v in obj.items()}
    if isinstance(obj, tuple):
        return {"$tuple": [_flatten(v, f"{prefix}{i}.", tensors) for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [_flatten(v, f"{prefix}{i}.", tensors) for i, v in enumerate(obj)]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"cannot store {type(obj).__name__} at {prefix!r} in a checkpoint")


def _unflatten(obj: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(obj, dict):
        if set(obj) == {"$t"}:
            return tensors[obj["$t"]]
        if set(obj) == {"$int"}:
            return {int(k): _unflatten(v, tensors) for k, v in obj["$int"].items()}
        if set(obj) == {"$tuple"}:
            return tuple(_unflatten(v, tensors) for v in obj["$tuple"])
        return {k: _unflatten(v, tensors) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_unflatten(v, tensors) for v in obj]
    return obj


def atomic_save(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` (nested dicts/lists of tensors and JSON values) to ``path`` atomically."""
    tensors: dict[str, torch.Tensor] = {}
    skeleton = _flatten(state, "", tensors)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".safetensors")
    os.close(fd)
    try:
        save_file(tensors, tmp, metadata={"format": FORMAT, "state": json.dumps(skeleton)})
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path: Path) -> dict[str, Any]:
    """Read a checkpoint written by :func:`atomic_save`; a foreign or broken file is a GanforgeError."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise GanforgeError(f"{path} is not a readable checkpoint ({e}); use another one") from None
    if meta.get("format") != FORMAT:
        raise GanforgeError(f"{path} is a safetensors file but not a ganforge checkpoint")
    return _unflatten(json.loads(meta["state"]), tensors)


def checkpoint_name(images_seen: int) -> str:
    return f"ckpt-{images_seen:012d}.safetensors"


def list_checkpoints(folder: Path) -> list[Path]:
    """Checkpoints in ``folder``, oldest first."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if _NAME.match(p.name))


def prune(folder: Path, keep: int) -> None:
    for p in list_checkpoints(folder)[:-keep]:
        p.unlink(missing_ok=True)
