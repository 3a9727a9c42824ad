"""Checkpoints: one safetensors file holding every tensor, with the rest as JSON in its metadata.

Nothing is ever unpickled: optimizer states, RNG states and counters are split into tensors (stored
by name) and a JSON skeleton that says where each tensor goes back. Files are written to a temporary
name and renamed, so a crash mid-write leaves the previous checkpoint intact. The file is serialised
in memory and written by ``atomic.atomic_write_bytes``, not by ``safetensors.torch.save_file``: that
writes through a temporary file of its own (``.tmpXXXXXX``), which a killed run left in
checkpoints/ for ever; ours carry a recognisable name, and ``atomic.sweep_stale_temp_files``
removes them. (The price is one extra copy of the checkpoint in memory while it is written.)

A checkpoint is untrusted input (it may come from anyone), so ``load`` checks the size of the
safetensors header before the library parses it, the size and nesting depth of the JSON skeleton,
and every marker in it; anything off is one GanforgeError line.
"""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save

from ganforge.atomic import atomic_write_bytes
from ganforge.errors import GanforgeError

FORMAT = "ganforge-checkpoint-1"
_NAME = re.compile(r"^ckpt-(\d{12,})\.safetensors$")
MAX_HEADER_BYTES = 64 << 20
"""Largest safetensors header (tensor index and metadata) accepted; ours are tens of KB."""
MAX_STATE_BYTES = 16 << 20
"""Largest JSON skeleton accepted (a CycleGAN run's is 11 KB)."""
MAX_STATE_DEPTH = 64
"""Deepest nesting of lists and mappings accepted in the skeleton (ours are 7 deep)."""


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
    """Inverse of :func:`_flatten`; a skeleton that does not fit the tensors is a ValueError.

    The skeleton is JSON anyone can edit, so every marker is checked rather than trusted.
    """
    if isinstance(obj, dict):
        if set(obj) == {"$t"}:
            key = obj["$t"]
            if not isinstance(key, str) or key not in tensors:
                raise ValueError(f"its metadata names a tensor {key!r} that the file does not hold")
            return tensors[key]
        if set(obj) == {"$int"}:
            items = obj["$int"]
            if not isinstance(items, dict) or not all(k.lstrip("-").isdigit() for k in items):
                raise ValueError(
                    f"its metadata has a malformed integer-keyed mapping {items!r:.60}"
                )
            return {int(k): _unflatten(v, tensors) for k, v in items.items()}
        if set(obj) == {"$tuple"}:
            if not isinstance(obj["$tuple"], list):
                raise ValueError(f"its metadata has a malformed tuple {obj['$tuple']!r:.60}")
            return tuple(_unflatten(v, tensors) for v in obj["$tuple"])
        return {k: _unflatten(v, tensors) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_unflatten(v, tensors) for v in obj]
    return obj


def atomic_save(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` (nested dicts/lists of tensors and JSON values) to ``path`` atomically."""
    tensors: dict[str, torch.Tensor] = {}
    skeleton = _flatten(state, "", tensors)
    data = save(tensors, metadata={"format": FORMAT, "state": json.dumps(skeleton)})
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, data)


def _depth(obj: Any) -> int:
    """Nesting depth of lists and mappings in parsed JSON, without recursion."""
    deepest, stack = 0, [(obj, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, depth)
            if depth > MAX_STATE_DEPTH:
                break  # enough to refuse it
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _header_size(path: Path) -> int:
    """The safetensors header length: the file's first 8 bytes, little-endian."""
    with open(path, "rb") as f:
        head = f.read(8)
    if len(head) < 8:
        raise ValueError(f"file too short for safetensors ({len(head)} bytes)")
    return struct.unpack("<Q", head)[0]


def load(path: Path) -> dict[str, Any]:
    """Read a checkpoint written by :func:`atomic_save`; a foreign or broken file is a GanforgeError."""

    def unreadable(why: str) -> GanforgeError:
        return GanforgeError(
            f"{path} is not a readable ganforge checkpoint: {why}; use another checkpoint "
            "(or delete this one)"
        )

    try:
        if (n := _header_size(path)) > MAX_HEADER_BYTES:
            raise unreadable(
                f"its header is {n:,} bytes, over the {MAX_HEADER_BYTES:,} a checkpoint may have"
            )
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise unreadable(str(e).splitlines()[0] if str(e) else type(e).__name__) from None
    if meta.get("format") != FORMAT:
        raise unreadable(
            f"a safetensors file without ganforge metadata (format {meta.get('format')!r})"
        )
    if "state" not in meta:
        raise unreadable("its metadata has no 'state' entry")
    if len(meta["state"]) > MAX_STATE_BYTES:
        raise unreadable(
            f"its state metadata is {len(meta['state']):,} characters, over the "
            f"{MAX_STATE_BYTES:,} a checkpoint may have"
        )
    try:
        skeleton = json.loads(meta["state"])
    except (ValueError, RecursionError) as e:
        # ValueError covers JSONDecodeError and integers longer than Python converts (4,300 digits)
        raise unreadable(f"its metadata is not valid JSON ({e})") from None
    if _depth(skeleton) > MAX_STATE_DEPTH:
        raise unreadable(f"its state metadata is nested over {MAX_STATE_DEPTH} levels deep")
    try:
        state = _unflatten(skeleton, tensors)
    except (ValueError, RecursionError) as e:
        raise unreadable(str(e) or type(e).__name__) from None
    if not isinstance(state, dict):
        raise unreadable(f"its state is a {type(state).__name__}, not a mapping")
    return state


def checkpoint_name(images_seen: int) -> str:
    """``ckpt-<images seen, 12 digits or more>.safetensors``; a negative count is a bug upstream
    (checkpoint counts are checked when read, train/state_checks.py), never a file name."""
    if isinstance(images_seen, bool) or not isinstance(images_seen, int) or images_seen < 0:
        raise ValueError(f"a checkpoint is named by a count of images, not {images_seen!r}")
    return f"ckpt-{images_seen:012d}.safetensors"


def images_of(path: Path) -> int | None:
    """The images seen that a checkpoint's file name states (None: not a ``ckpt-N`` name)."""
    m = _NAME.match(Path(path).name)
    return int(m.group(1)) if m else None


def list_checkpoints(folder: Path) -> list[Path]:
    """Checkpoints in ``folder``, oldest first: by the count in the name, so that a run past
    10**12 images (13 digits) still sorts after the 12-digit names."""
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if _NAME.match(p.name)]
    return sorted(found, key=lambda p: (images_of(p), p.name))


def prune(folder: Path, keep: int, newest: Path | None = None) -> list[Path]:
    """Remove all but the ``keep`` newest checkpoints; ``newest`` (the one just written) is never
    removed, whatever the names around it say. Returns the removed paths."""
    removed = []
    for p in list_checkpoints(folder)[:-keep] if keep > 0 else []:
        if newest is not None and p.name == Path(newest).name:
            continue
        p.unlink(missing_ok=True)
        removed.append(p)
    return removed
