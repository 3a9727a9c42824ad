"""A trained model as a Hugging Face model repository holds it: a folder of plain files.

    config.json         what the model is: ganforge's format tag, the task, the network, the
                        run's resolved config (the same tree as a run's config.yaml), its classes,
                        the images it saw and its card (metrics with their protocol, licence, ...)
    model.safetensors   the network's weights (safetensors, float32 or float16; never pickle)
    README.md           the model card: YAML front matter for the Hub, then the card in prose
    samples.png         a grid of samples the card shows

This is the layout of ``diffusers``' ``save_pretrained`` (a ``config.json`` beside a
``*.safetensors`` file) and of the Hub's model cards (https://huggingface.co/docs/hub/model-cards),
so the folder can be pushed as it is (``huggingface-cli upload USER/NAME FOLDER``). ganforge's
shipped models (``ganforge/pretrained``) are such folders, and ``hf:USER/NAME`` downloads one.

A folder is untrusted input, like a checkpoint: ``config.json`` is bounded in size and depth and
validated field by field (the run config through the typed config classes), the safetensors
header is bounded before the library parses it, only floating-point tensors are read, and a folder
that holds pickled weights (``pytorch_model.bin``, ``*.pkl``, ``*.pt``, ...) instead is refused:
loading a pickle runs code. Every refusal is one ``GanforgeError`` line saying how to fix it.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save

from ganforge.atomic import atomic_write_bytes
from ganforge.config import Config, config_from_dict
from ganforge.errors import GanforgeError

FORMAT = "ganforge-hub-1"
CONFIG = "config.json"
WEIGHTS = "model.safetensors"
CARD = "README.md"
GRID = "samples.png"
FILES = (CONFIG, WEIGHTS, CARD, GRID)
"""Every file a model folder may hold (what ``hf:`` downloads)."""
PICKLE_SUFFIXES = (".bin", ".pkl", ".pickle", ".pt", ".pth", ".ckpt")
"""Weight files that unpickle when loaded: refused, never opened."""
MAX_CONFIG_BYTES = 1 << 20
"""Largest config.json read (ours are ~4 KB)."""
MAX_DEPTH = 16
"""Deepest nesting of lists and mappings in config.json (ours are 4 deep)."""
MAX_HEADER_BYTES = 1 << 20
"""Largest safetensors header (tensor index) read; a generator's is a few KB."""
MAX_WEIGHTS_BYTES = 2 << 30
"""Largest model.safetensors read (a 32 px DCGAN generator in float16 is ~7 MB)."""
DTYPES = (torch.float32, torch.float16, torch.bfloat16, torch.int64)
"""Tensor types a model folder may hold: float16 and bfloat16 are widened to float32 on load;
int64 is batch norm's step counter."""


@dataclass
class ModelFolder:
    """A model folder read and validated: its config and its network's float32 weights."""

    path: Path
    cfg: Config
    """The run config it was trained with (``config.json``'s ``config``), validated."""
    task: str
    network: str
    """Which of the run's networks the weights are (its key in a checkpoint): ``G`` for a GAN."""
    ema: bool
    """Whether the weights are the EMA copy (what a run opens by default)."""
    num_classes: int
    class_names: list[str]
    images_seen: int
    card: dict[str, Any]
    """The card's facts: metrics and protocol, licence, training command, ..."""
    weights: dict[str, torch.Tensor]

    def state(self) -> dict[str, Any]:
        """The weights as a checkpoint state, the shape ``Task.open`` reads: the network's
        weights (as the EMA copy when they are one) and the classes in the data's metadata."""
        where = "ema" if self.ema else "nets"
        return {
            where: {self.network: dict(self.weights)},
            "meta": {"data": {"num_classes": self.num_classes, "class_names": self.class_names}},
        }


def is_model_folder(path: str | Path) -> bool:
    """A folder with a ``config.json`` or ``model.safetensors`` and no run's ``config.yaml`` (a
    run folder wins)."""
    p = Path(path)
    if not p.is_dir() or (p / "config.yaml").is_file():
        return False
    return (p / CONFIG).is_file() or (p / WEIGHTS).is_file()


def pickles_in(path: Path) -> list[str]:
    """Names of pickled weight files in ``path`` (refused: loading them runs code)."""
    if not path.is_dir():
        return []
    return sorted(p.name for p in path.iterdir() if p.suffix.lower() in PICKLE_SUFFIXES)


def _depth(obj: Any) -> int:
    deepest, stack = 0, [(obj, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                break
            stack.extend(
                (c, depth + 1) for c in (node.values() if isinstance(node, dict) else node)
            )
    return deepest


def read_config(path: Path, where: str) -> dict[str, Any]:
    """``config.json`` of folder ``path`` as a mapping: present, bounded, JSON, ours."""
    file = path / CONFIG
    if not file.is_file():
        raise GanforgeError(
            f"{where} has no {CONFIG}: a ganforge model folder holds {CONFIG} and {WEIGHTS} "
            "(write one with `ganforge export RUN --format hub --out FOLDER`)"
        )
    size = file.stat().st_size
    if size > MAX_CONFIG_BYTES:
        raise GanforgeError(
            f"{where}/{CONFIG} is {size:,} bytes, over the {MAX_CONFIG_BYTES:,} a model config "
            "may have: it is not a ganforge config.json"
        )
    try:
        tree = json.loads(file.read_bytes())
    except (ValueError, RecursionError) as e:  # JSONDecodeError and undecodable bytes
        raise GanforgeError(
            f"{where}/{CONFIG} is not valid JSON ({e}): re-export the model"
        ) from None
    if not isinstance(tree, dict) or _depth(tree) > MAX_DEPTH:
        raise GanforgeError(f"{where}/{CONFIG} is not a JSON object of ganforge's shape")
    if tree.get("format") != FORMAT:
        raise GanforgeError(
            f"{where}/{CONFIG} is not a ganforge model config (format {tree.get('format')!r:.40}, "
            f"expected {FORMAT!r}): ganforge opens folders written by `ganforge export --format hub`"
        )
    return tree


def _field(tree: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = tree.get(key)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise GanforgeError(
            f"{where}/{CONFIG}: {key!r} is {value!r:.40}, not a {getattr(kind, '__name__', kind)}: "
            "the file was edited or damaged; re-export the model"
        )
    return value


def read_weights(file: Path, where: str) -> dict[str, torch.Tensor]:
    """The tensors of ``model.safetensors``, bounded and checked, widened to float32."""
    if not file.is_file():
        found = pickles_in(file.parent)
        if found:
            raise GanforgeError(
                f"{where} holds pickled weights ({', '.join(found[:3])}) and no {WEIGHTS}: "
                "ganforge reads safetensors only, never pickles (loading one runs its code)"
            )
        raise GanforgeError(f"{where} has no {WEIGHTS}: re-export the model with its weights")
    size = file.stat().st_size
    if size > MAX_WEIGHTS_BYTES:
        raise GanforgeError(f"{where}/{WEIGHTS} is {size:,} bytes, over {MAX_WEIGHTS_BYTES:,}")
    try:
        with open(file, "rb") as f:
            head = f.read(8)
        if len(head) < 8 or struct.unpack("<Q", head)[0] > MAX_HEADER_BYTES:
            raise ValueError("its header is missing or oversized")
        tensors = load_file(str(file))
    except (SafetensorError, OSError, ValueError) as e:
        why = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        raise GanforgeError(
            f"{where}/{WEIGHTS} is not a readable safetensors file ({why}); re-export the model"
        ) from None
    bad = [k for k, t in tensors.items() if t.dtype not in DTYPES]
    if bad:
        raise GanforgeError(
            f"{where}/{WEIGHTS}: tensor {bad[0]!r} is {tensors[bad[0]].dtype}, not float32/16 "
            "(or int64): re-export the model"
        )
    return {k: t.float() if t.is_floating_point() else t for k, t in tensors.items()}


def read_model_folder(path: str | Path, where: str | None = None) -> ModelFolder:
    """Read and validate the model folder ``path`` (``where`` names it in errors)."""
    path = Path(path)
    where = where or str(path)
    tree = read_config(path, where)
    try:
        cfg = config_from_dict(_field(tree, "config", dict, where))
    except GanforgeError as e:
        raise GanforgeError(f"{where}/{CONFIG}: its run config is invalid: {e}") from None
    k = _field(tree, "num_classes", int, where)
    if not 0 <= k <= 100_000:
        raise GanforgeError(f"{where}/{CONFIG}: num_classes={k} is not a class count (0-100000)")
    names = _field(tree, "class_names", list, where)
    if not all(isinstance(n, str) and len(n) <= 200 for n in names):
        raise GanforgeError(f"{where}/{CONFIG}: class_names must be a list of short strings")
    seen = _field(tree, "images_seen", int, where)
    if seen < 0:
        raise GanforgeError(f"{where}/{CONFIG}: images_seen={seen} is negative")
    return ModelFolder(
        path=path,
        cfg=cfg,
        task=_field(tree, "task", str, where),
        network=_field(tree, "network", str, where),
        ema=_field(tree, "ema", bool, where),
        num_classes=k,
        class_names=names[:k],
        images_seen=seen,
        card=_field(tree, "card", dict, where) if "card" in tree else {},
        weights=read_weights(path / WEIGHTS, where),
    )


def config_tree(
    cfg: Config,
    network: str,
    ema: bool,
    num_classes: int,
    class_names: list[str],
    images_seen: int,
    card: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``config.json`` of a model folder (``extra``: what the export adds, e.g. inputs)."""
    return {
        "format": FORMAT,
        "library_name": "ganforge",
        "task": cfg.model.task,
        "network": network,
        "ema": ema,
        "num_classes": num_classes,
        "class_names": list(class_names[:num_classes]),
        "images_seen": images_seen,
        **(extra or {}),
        "card": card,
        "config": cfg.to_dict(),
    }


def weights_bytes(module_state: dict[str, torch.Tensor], dtype: torch.dtype) -> bytes:
    """A state dict as safetensors bytes, every floating-point tensor as ``dtype`` (float32 or
    float16; integer buffers such as batch norm's step counter stay int64)."""
    if dtype not in (torch.float32, torch.float16):
        raise GanforgeError(f"model folders hold float32 or float16 weights, not {dtype}")
    tensors = {
        k: (v.to(dtype) if v.is_floating_point() else v).detach().cpu().contiguous()
        for k, v in module_state.items()
    }
    return save(tensors, metadata={"format": FORMAT})


def write_files(folder: Path, files: dict[str, bytes]) -> None:
    """Write ``files`` (name -> bytes) into ``folder``, each atomically (temp + rename)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        atomic_write_bytes(folder / name, data)


def config_bytes(tree: dict[str, Any]) -> bytes:
    return (json.dumps(tree, indent=2) + "\n").encode()
