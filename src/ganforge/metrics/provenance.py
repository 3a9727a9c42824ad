"""Where the feature networks' weights live and how their identity is recorded: the cache folder
and the SHA-256 digests every metric protocol carries (``weights_sha256``).

Kept apart from ``features.py`` (the extractor registry, which imports the networks) so that the
networks can use these without importing the registry back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import Tensor

from ganforge.data.files.download import cache_dir as data_cache_dir


def cache_dir() -> Path:
    """$GANFORGE_CACHE or ~/.cache/ganforge: weight downloads and reference statistics live here."""
    # One cache folder for the whole package: the data readers own the rule.
    return data_cache_dir()


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_state_dict(state: Mapping[str, Tensor]) -> str:
    """SHA-256 of a state dict's tensors: for each name in sorted order,
    ``"<name>|<dtype>|<shape>\\n"`` then the tensor's raw bytes (C order, little-endian)."""
    h = hashlib.sha256()
    for name in sorted(state):
        t = state[name].detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}\n".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()
