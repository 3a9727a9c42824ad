"""The models shipped in the package: ``pretrained:NAME`` opens one with no training and no network.

Each is a model folder (hub/folder.py) under ``ganforge/pretrained/NAME/``: the EMA generator in
float16 safetensors, its ``config.json`` (the run config, the card with its FD-FMNIST and the
protocol that measured it) and a README.md model card. ``ganforge/pretrained/index.json`` names
them with the SHA-256 of each file, written by ``benchmarks/train_pretrained.py pack``, which
trained them; a shipped file is data like any other, so its digest is checked before it is read
(a damaged install says so instead of sampling noise).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganforge.errors import GanforgeError
from ganforge.hub.folder import CONFIG, FILES, ModelFolder, read_config, read_model_folder

ROOT = Path(__file__).resolve().parent.parent / "pretrained"
"""The shipped model folders (package data)."""
INDEX = "index.json"
MAX_INDEX_BYTES = 1 << 16


@dataclass(frozen=True)
class Shipped:
    """One shipped model: its name, a line saying what it is, and its files' SHA-256."""

    name: str
    summary: str
    sha256: dict[str, str]

    @property
    def path(self) -> Path:
        return ROOT / self.name


def shipped(root: Path = ROOT) -> dict[str, Shipped]:
    """Every shipped model by name (``index.json``), in the index's order."""
    file = root / INDEX
    if not file.is_file():
        return {}
    if file.stat().st_size > MAX_INDEX_BYTES:
        raise GanforgeError(f"{file} is oversized: the ganforge install is damaged; reinstall it")
    try:
        tree = json.loads(file.read_text())
        models = {
            name: Shipped(name, str(entry["summary"]), dict(entry["sha256"]))
            for name, entry in tree["models"].items()
        }
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise GanforgeError(f"{file} is malformed ({e}): the ganforge install is damaged") from None
    for m in models.values():
        if not set(m.sha256) <= set(FILES) or CONFIG not in m.sha256:
            raise GanforgeError(f"{file}: model {m.name} lists unexpected files {sorted(m.sha256)}")
    return models


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def lookup(name: str, root: Path = ROOT) -> Shipped:
    """The shipped model ``name``; an unknown name lists the known ones."""
    models = shipped(root)
    if name not in models:
        known = ", ".join(models) or "none in this install"
        raise GanforgeError(
            f"no pretrained model {name!r}: the shipped ones are {known} (`ganforge pretrained` "
            "lists them with their scores)"
        )
    return models[name]


def verify(model: Shipped, root: Path = ROOT) -> Path:
    """The folder of ``model`` once every file's SHA-256 matches the index."""
    folder = root / model.name
    for file, digest in model.sha256.items():
        path = folder / file
        if not path.is_file() or sha256_of(path) != digest:
            raise GanforgeError(
                f"pretrained:{model.name}: {path} is missing or damaged (its SHA-256 does not "
                "match the index): reinstall ganforge"
            )
    return folder


def open_pretrained(name: str, root: Path = ROOT) -> ModelFolder:
    """``pretrained:NAME``: the shipped model folder, checked and read."""
    model = lookup(name, root)
    return read_model_folder(verify(model, root), where=f"pretrained:{name}")


def card_of(name: str, root: Path = ROOT) -> dict[str, Any]:
    """The card facts of a shipped model (``config.json``'s card), without reading its weights."""
    return read_config(verify(lookup(name, root), root), f"pretrained:{name}").get("card", {})
