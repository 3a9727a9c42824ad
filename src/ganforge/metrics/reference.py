"""Real-data reference statistics: features, mean and covariance of a fixed real sample, cached.

Every score compares fakes against the same real sample, so that sample is computed once and cached
in a file keyed by everything that changes it: data set, split, sample count, sampling seed,
extractor name and weight SHA-256, and the input protocol (resize, quantisation). A cached file
whose key does not match the request is refused rather than silently reused: mixing reference
statistics across protocols is the classic way FIDs become incomparable (see Parmar et al. 2022,
"On Aliased Resizing and Surprising Subtleties in GAN Evaluation", CVPR, and its reference
implementation https://github.com/GaParmar/clean-fid, whose precomputed statistics are likewise
named by data set, split, resolution and mode).

File format: one safetensors file (arrays "features" (n, D) float32, "mu" (D,), "sigma" (D, D)
float64, optional "labels" (n,) int64) with the JSON metadata under the "ganforge_reference" key;
written to a temp file then renamed, so readers never see a partial file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import safe_open
from safetensors.numpy import save_file
from torch import Tensor

from ganforge.errors import GanforgeError
from ganforge.metrics.features import WHITE, Extractor, alpha_protocol, as_uint8_images, cache_dir
from ganforge.metrics.fid import stats

FORMAT = "ganforge-reference-v1"
META_KEY = "ganforge_reference"


def sample_indices(total: int, n: int | None, seed: int) -> Tensor:
    """The first min(n, total) entries of a seeded permutation; all, in order, if n is None."""
    if n is None or n >= total:
        return torch.arange(total)
    return torch.randperm(total, generator=torch.Generator().manual_seed(seed))[:n]


def reference_key(
    dataset: str,
    split: str,
    n: int,
    seed: int,
    extractor_protocol: dict[str, Any],
    alpha: str | None = None,
) -> str:
    """16 hex digits of SHA-256 over the canonical JSON of everything the statistics depend on
    (``alpha``: how RGBA images were composited, for RGBA data only)."""
    spec = {
        "format": FORMAT,
        "dataset": dataset,
        "split": split,
        "n": n,
        "seed": seed,
        "extractor": extractor_protocol,
    }
    if alpha is not None:  # only then, so the keys of grey and RGB data stay as they were
        spec["rgba"] = alpha
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def reference_path(
    dataset: str,
    split: str,
    n: int,
    seed: int,
    extractor: Extractor,
    folder: str | Path | None = None,
    alpha: str | None = None,
) -> Path:
    """<cache>/reference/<dataset>-<split>-<extractor>-n<n>-<key>.safetensors"""
    key = reference_key(dataset, split, n, seed, extractor.protocol, alpha)
    folder = Path(folder) if folder is not None else cache_dir() / "reference"
    return folder / f"{dataset}-{split}-{extractor.name}-n{n}-{key}.safetensors"


@dataclass
class ReferenceStats:
    """Real-side inputs of every metric; ``mu``/``sigma`` are None when n <= D (no FID possible)."""

    features: np.ndarray  # (n, D) float32
    mu: np.ndarray | None  # (D,) float64
    sigma: np.ndarray | None  # (D, D) float64
    labels: np.ndarray | None  # (n,) int64
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        """Content hash (features and labels; mu and sigma are functions of the features)."""
        h = hashlib.sha256(np.ascontiguousarray(self.features, dtype=np.float32).tobytes())
        if self.labels is not None:
            h.update(np.ascontiguousarray(self.labels, dtype=np.int64).tobytes())
        return h.hexdigest()


def reference_from_features(
    features: np.ndarray, labels: np.ndarray | None = None, meta: dict[str, Any] | None = None
) -> ReferenceStats:
    features = np.asarray(features, dtype=np.float32)
    mu = sigma = None
    if features.shape[0] > features.shape[1]:
        mu, sigma = stats(features)
    if labels is not None:
        labels = np.asarray(labels, dtype=np.int64)
    return ReferenceStats(features, mu, sigma, labels, dict(meta or {}))


def compute_reference(
    images: Tensor | np.ndarray,
    extractor: Extractor,
    dataset: str,
    split: str,
    n: int | None = None,
    seed: int = 0,
    labels: Tensor | np.ndarray | None = None,
    batch_size: int | None = None,
    background: tuple[int, int, int] = WHITE,
) -> ReferenceStats:
    """Extract features of a seeded sample of ``n`` real images (all when None); RGBA images are
    composited onto ``background`` (recorded as meta "rgba")."""
    alpha = _alpha(images, background)
    images = as_uint8_images(images, "real images", background)
    idx = sample_indices(len(images), n, seed)
    feats = extractor.extract(images[idx], batch_size)["pool"]
    lab = None
    if labels is not None:
        lab = (labels if isinstance(labels, Tensor) else torch.as_tensor(labels))[idx].numpy()
    meta = {
        "format": FORMAT,
        "dataset": dataset,
        "split": split,
        "n": len(idx),
        "seed": seed,
        "image_shape": list(images.shape[1:]),
        "extractor": extractor.protocol,
        "key": reference_key(dataset, split, len(idx), seed, extractor.protocol, alpha),
    }
    if alpha is not None:
        meta["rgba"] = alpha
    return reference_from_features(feats, lab, meta)


def _alpha(images: Tensor | np.ndarray, background: tuple[int, int, int]) -> str | None:
    """The protocol line for RGBA images (composited onto ``background``), else None."""
    rgba = getattr(images, "ndim", 0) == 4 and images.shape[1] == 4
    return alpha_protocol(background) if rgba else None


def save_reference(ref: ReferenceStats, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {"features": np.ascontiguousarray(ref.features, dtype=np.float32)}
    if ref.mu is not None and ref.sigma is not None:
        arrays["mu"], arrays["sigma"] = ref.mu, np.ascontiguousarray(ref.sigma)
    if ref.labels is not None:
        arrays["labels"] = ref.labels
    fd, tmp = tempfile.mkstemp(suffix=".safetensors", dir=path.parent)
    os.close(fd)
    try:
        save_file(arrays, tmp, metadata={META_KEY: json.dumps(ref.meta, sort_keys=True)})
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def load_reference(path: str | Path, expected_key: str | None = None) -> ReferenceStats:
    """Read a reference file; with ``expected_key``, refuse one computed under another protocol."""
    path = Path(path)
    if not path.is_file():
        raise GanforgeError(
            f"reference statistics {path} not found; create them with "
            "ganforge.metrics.reference.cached_reference(real_images, extractor, dataset, split, n)"
        )
    try:
        with safe_open(str(path), framework="numpy") as f:
            meta = json.loads((f.metadata() or {})[META_KEY])
            arrays = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 (safe_open API)
    except Exception as e:  # header/JSON errors: the file is not one of ours or is truncated
        raise GanforgeError(f"{path} is not a ganforge reference file ({e}); delete it") from e
    if meta.get("format") != FORMAT:
        raise GanforgeError(f"{path} has format {meta.get('format')!r}, expected {FORMAT!r}")
    if expected_key is not None and meta.get("key") != expected_key:
        raise GanforgeError(
            f"{path} was computed under another protocol (key {meta.get('key')}, expected "
            f"{expected_key}: data set, split, n, seed or extractor differ); delete it or pass "
            "the matching settings"
        )
    return ReferenceStats(
        arrays["features"], arrays.get("mu"), arrays.get("sigma"), arrays.get("labels"), meta
    )


def cached_reference(
    images: Tensor | np.ndarray,
    extractor: Extractor,
    dataset: str,
    split: str,
    n: int | None = None,
    seed: int = 0,
    labels: Tensor | np.ndarray | None = None,
    batch_size: int | None = None,
    folder: str | Path | None = None,
    background: tuple[int, int, int] = WHITE,
) -> ReferenceStats:
    """Load the matching cached reference, or compute and cache it."""
    count = len(images) if n is None else min(n, len(images))
    alpha = _alpha(images, background)
    path = reference_path(dataset, split, count, seed, extractor, folder, alpha)
    if path.is_file():
        key = reference_key(dataset, split, count, seed, extractor.protocol, alpha)
        return load_reference(path, expected_key=key)
    ref = compute_reference(
        images, extractor, dataset, split, n, seed, labels, batch_size, background
    )
    save_reference(ref, path)
    return ref
