"""The metric registry and ``evaluate``: fakes and reals in, scores plus their protocol out.

Each entry of ``METRICS`` is a small function of a ``MetricInputs`` (features already extracted)
returning named values; see each metric's module for the paper and the reference implementation.
Names follow the extractor, because a number is only comparable with numbers made the same way:

    key      extractor "inception"   extractor "fmnist" (or "mnist")   extractor "lite1"
    fid      fid                     fd_fmnist  (Frechet distance)     fd_lite1
    kid      kid, kid_std            kid_fmnist, kid_fmnist_std        kid_lite1, kid_lite1_std
    is       is, is_std              classifier_score, ..._std         classifier_score, ..._std
    pr       precision, recall       precision, recall                 precision, recall
    dc       density, coverage       density, coverage                 density, coverage
    modes    -                       classes_present, class_kl, ...    -

Every result carries a ``protocol`` dict: extractor and weight SHA-256, sample counts, resize and
quantisation, data set and split, reference-statistics hash, seed, ganforge version, the names
above as reported, and the metric settings (KID subsets and subset size, IS splits, the seed of
the KID subsets and IS split shuffle, k of the k-NN metrics).

The Frechet distance is refused below the extractor's ``fd_minimum`` samples per side (n > D for
every extractor; for lite1 the measured minimum of ``metrics/imagenet.py``), with one line saying
why; KID, unbiased at any n, is still given by the other metrics.

Seeds: ``seed`` picks which fakes/reals are used; the KID subsets and the IS split shuffle always use
torch-fidelity's ``rng_seed`` 2020 (``SUBSET_SEED``), so equal features give torch-fidelity's KID and
IS whatever ``seed`` is. KID subsets hold min(1000, n_fake // 2, n_real // 2) samples
(``kid.subset_size_for``): torch-fidelity's 1000 from 2,000 samples per side up; below that,
half the smaller set (torch-fidelity keeps 1000 down to 1,000 samples, where every subset is the
whole set, and refuses fewer); the size used is in the protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ganforge.errors import GanforgeError
from ganforge.metrics.density_coverage import density_coverage
from ganforge.metrics.features import (
    WHITE,
    Extractor,
    alpha_protocol,
    as_uint8_images,
    load_extractor,
)
from ganforge.metrics.fid import frechet_distance, stats
from ganforge.metrics.imagenet import FD_MIN_WHY
from ganforge.metrics.inception_score import inception_score
from ganforge.metrics.kid import kid, subset_size_for
from ganforge.metrics.mode_coverage import class_coverage
from ganforge.metrics.precision_recall import precision_recall
from ganforge.metrics.reference import ReferenceStats, reference_from_features, sample_indices
from ganforge.version import __version__

KID_SUBSETS, KID_SUBSET_SIZE = 100, 1000
IS_SPLITS = 10
SUBSET_SEED = 2020  # torch-fidelity's default rng_seed: KID subsets, IS split shuffle
PR_K, DC_K = 3, 5
IMAGENET_EXTRACTORS = frozenset({"inception", "lite1"})  # no classifier of the data's classes
FD_LABELS = {"fmnist": "FMNIST", "mnist": "MNIST", "lite1": "Lite1"}


@dataclass
class MetricInputs:
    fake: dict[str, np.ndarray]  # extractor outputs for the fakes: "pool" (N, D), "logits", ...
    real: ReferenceStats
    extractor: str
    seed: int
    num_classes: int
    fd_minimum: int = 0  # fewest samples per side for the Frechet distance (0: only N > D)


def fd_label(extractor: str) -> str:
    """How the Frechet distance on ``extractor`` is called: FID, FD-FMNIST, FD-Lite1, ..."""
    return "FID" if extractor == "inception" else f"FD-{FD_LABELS.get(extractor, extractor)}"


def fd_why(minimum: int, dim: int) -> str:
    """Why FD needs ``minimum`` samples per side on ``dim``-d features (one clause)."""
    if minimum > dim + 1:  # a measured minimum (lite1), more than n > D
        return f"below {minimum:,} samples per side {FD_MIN_WHY}"
    return f"it needs more than {dim} samples per side (more samples than feature dimensions)"


def fd_too_few(extractor: str, minimum: int, n_fake: int, n_real: int, dim: int) -> str | None:
    """The one-line reason FD is refused for these counts, or None when they suffice."""
    minimum = max(minimum, dim + 1)
    if min(n_fake, n_real) >= minimum:
        return None
    return (
        f"{fd_label(extractor)} refused for {n_fake:,} fake and {n_real:,} real images: "
        f"{fd_why(minimum, dim)}; use {minimum:,} or more per side (10,000 for comparable "
        "numbers), or KID (unbiased at any n)"
    )


def _fid(x: MetricInputs) -> dict[str, Any]:
    dim = x.real.features.shape[1]
    reason = fd_too_few(x.extractor, x.fd_minimum, len(x.fake["pool"]), len(x.real.features), dim)
    if reason is not None:
        raise GanforgeError(reason)
    mu_r, sigma_r = (x.real.mu, x.real.sigma) if x.real.mu is not None else stats(x.real.features)
    name = "fid" if x.extractor == "inception" else f"fd_{x.extractor}"
    return {name: frechet_distance(*stats(x.fake["pool"]), mu_r, sigma_r)}


def _kid(x: MetricInputs) -> dict[str, Any]:
    size = subset_size_for(len(x.fake["pool"]), len(x.real.features), KID_SUBSET_SIZE)
    mean, std = kid(x.fake["pool"], x.real.features, KID_SUBSETS, size, SUBSET_SEED)
    name = "kid" if x.extractor == "inception" else f"kid_{x.extractor}"
    return {name: mean, f"{name}_std": std}


def _is(x: MetricInputs) -> dict[str, Any]:
    # torch-fidelity scores Inception without the fc bias ("logits_unbiased").
    logits = x.fake.get("logits_unbiased", x.fake["logits"])
    mean, std = inception_score(logits, IS_SPLITS, shuffle=True, seed=SUBSET_SEED)
    name = "is" if x.extractor == "inception" else "classifier_score"
    return {name: mean, f"{name}_std": std}


def _pr(x: MetricInputs) -> dict[str, Any]:
    p, r = precision_recall(x.fake["pool"], x.real.features, k=PR_K)
    return {"precision": p, "recall": r}


def _dc(x: MetricInputs) -> dict[str, Any]:
    d, c = density_coverage(x.fake["pool"], x.real.features, k=DC_K)
    return {"density": d, "coverage": c}


def _modes(x: MetricInputs) -> dict[str, Any]:
    if x.extractor in IMAGENET_EXTRACTORS:
        raise GanforgeError(
            "metric 'modes' needs a classifier of the data set's classes; use extractor='fmnist'"
        )
    if x.real.labels is None:
        raise GanforgeError("metric 'modes' needs real_labels (or a reference file with labels)")
    cov = class_coverage(x.fake["logits"], x.real.labels, x.num_classes)
    return {
        "classes_present": cov.classes_present,
        "num_classes": cov.num_classes,
        "class_kl": cov.kl_fake_real,
        "mode_collapse": cov.mode_collapse,
        "class_histogram": cov.fake_histogram,
    }


METRICS: dict[str, Callable[[MetricInputs], dict[str, Any]]] = {
    "fid": _fid,
    "kid": _kid,
    "is": _is,
    "pr": _pr,
    "dc": _dc,
    "modes": _modes,
}


def reported_names(extractor: str) -> dict[str, list[str]]:
    """Registry key -> names of the values it reports under ``extractor``."""
    fd = "fid" if extractor == "inception" else f"fd_{extractor}"  # fd_fmnist, fd_lite1
    kd = "kid" if extractor == "inception" else f"kid_{extractor}"
    score = "is" if extractor == "inception" else "classifier_score"
    return {
        "fid": [fd],
        "kid": [kd, f"{kd}_std"],
        "is": [score, f"{score}_std"],
        "pr": ["precision", "recall"],
        "dc": ["density", "coverage"],
        "modes": ["classes_present", "num_classes", "class_kl", "mode_collapse", "class_histogram"],
    }


def _labels_array(labels: Tensor | np.ndarray, idx: Tensor) -> np.ndarray:
    t = labels if isinstance(labels, Tensor) else torch.as_tensor(np.asarray(labels))
    return t[idx].numpy().astype(np.int64)


def evaluate(
    fake: Tensor | np.ndarray,
    real: Tensor | np.ndarray | ReferenceStats,
    metrics: Sequence[str] = ("fid",),
    extractor: str | Extractor = "fmnist",
    n: int = 10_000,
    seed: int = 0,
    real_labels: Tensor | np.ndarray | None = None,
    batch_size: int | None = None,
    dataset: str = "unspecified",
    split: str = "unspecified",
    num_classes: int = 10,
    background: tuple[int, int, int] = WHITE,
) -> dict[str, Any]:
    """Score uint8 fakes (N, C, H, W) against real images or cached ``ReferenceStats``.

    Up to ``n`` images per side are used, drawn with ``seed`` (all of them when fewer); the counts
    actually used are in ``protocol``. ``dataset``/``split`` name the real data for the protocol.
    ``batch_size`` None uses the extractor's default (500 fmnist, 32 inception, 64 lite1).
    RGBA images (C = 4) are composited onto ``background`` first, and the protocol says so.
    """
    unknown = [m for m in metrics if m not in METRICS]
    if unknown or not metrics:
        raise GanforgeError(f"unknown metrics {unknown}; choose from {sorted(METRICS)}")
    ext = load_extractor(extractor) if isinstance(extractor, str) else extractor
    rgba = _channels(fake) == 4 or (not isinstance(real, ReferenceStats) and _channels(real) == 4)
    fake = as_uint8_images(fake, "fake images", background)

    if isinstance(real, ReferenceStats):
        ref = real
        ref_sha = ref.meta.get("extractor", {}).get("weights_sha256")
        if ref_sha != ext.weights_sha256:
            raise GanforgeError(
                f"the reference statistics were made with extractor weights {str(ref_sha)[:12]}, "
                f"but scoring uses {ext.name} {ext.weights_sha256[:12]}; recompute the reference"
            )
        if "image_shape" not in ref.meta:
            # Without it, fakes of another size or channel count would be scored silently.
            raise GanforgeError(
                "the reference statistics do not record the real images' shape (image_shape), so "
                "the fakes cannot be checked against it; recompute them with "
                "metrics.reference.compute_reference or cached_reference"
            )
        real_shape = tuple(ref.meta["image_shape"])
    else:
        real = as_uint8_images(real, "real images", background)
        real_shape = tuple(real.shape[1:])
    if tuple(fake.shape[1:]) != real_shape:
        raise GanforgeError(
            f"fake images are {tuple(fake.shape[1:])} (C, H, W) but real images are {real_shape}; "
            "generate at the data resolution and channel count, or resize one side first"
        )

    if not isinstance(real, ReferenceStats):
        idx = sample_indices(len(real), n, seed)
        labels = _labels_array(real_labels, idx) if real_labels is not None else None
        feats = ext.extract(real[idx], batch_size)["pool"]
        meta = {
            "dataset": dataset,
            "split": split,
            "n": len(idx),
            "seed": seed,
            "key": None,
            "image_shape": list(real_shape),
        }
        ref = reference_from_features(feats, labels, meta)
    elif real_labels is not None:
        raise GanforgeError("real_labels are taken from the reference file; do not pass both")

    fake_idx = sample_indices(len(fake), n, seed + 1)  # another stream than the reals'
    inputs = MetricInputs(
        ext.extract(fake[fake_idx], batch_size), ref, ext.name, seed, num_classes, ext.fd_minimum
    )
    results: dict[str, Any] = {}
    for name in metrics:
        results.update(METRICS[name](inputs))

    names = reported_names(ext.name)
    results["protocol"] = {
        **ext.protocol,
        "n_fake": len(fake_idx),
        "n_real": len(ref.features),
        "dataset": ref.meta.get("dataset", dataset),
        "split": ref.meta.get("split", split),
        "reference_sha256": ref.sha256,
        "reference_key": ref.meta.get("key"),
        "seed": seed,
        "ganforge_version": _version(),
        "metric_names": {m: names[m] for m in metrics},
        "settings": {
            "kid_subsets": KID_SUBSETS,
            "kid_subset_size": subset_size_for(len(fake_idx), len(ref.features), KID_SUBSET_SIZE)
            if "kid" in metrics
            else None,
            "is_splits": IS_SPLITS,
            "subset_seed": SUBSET_SEED,
            "pr_k": PR_K,
            "dc_k": DC_K,
        },
    }
    alpha = ref.meta.get("rgba")
    if rgba:
        alpha = alpha_protocol(background)
    if alpha is not None:
        results["protocol"]["rgba"] = alpha
    return results


def _channels(images: Any) -> int | None:
    shape = getattr(images, "shape", ())
    return shape[1] if len(shape) == 4 else None


def _version() -> str:
    return __version__
