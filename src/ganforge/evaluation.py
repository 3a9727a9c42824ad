"""Score a generator: draw its samples, pick the real data to compare with, run the metric registry.

``ganforge eval``, evaluation during training (``train/evaluation.py``) and
``benchmarks/quality.py`` all go through here, so their numbers share one protocol:

- **Samples.** z ~ N(0, I) from a CPU ``torch.Generator`` seeded with ``seed`` (the same samples on
  any device), drawn in batches under ``torch.inference_mode()`` with the generator in eval mode,
  quantised to uint8 with ``images.to_uint8`` (round, clamp). A class-conditional generator gets
  labels drawn (with replacement, same seed) from the real labels, so fakes follow the real class
  distribution.
- **Real data.** The run's data source at the run's resolution and channels, in the split that is
  conventional for it (``REAL_SPLIT``): the test split for Fashion-MNIST/MNIST (always available
  offline, and the split the domain feature network protocol uses), the train split for CIFAR-10
  (50k, the usual FID reference, Heusel et al. 2017), the whole folder for folder data.
- **Reference statistics** of ``n`` seeded real images are cached by ``metrics.reference`` under a
  data-set id that includes a SHA-256 of the real pixels, so a changed folder or resolution can never
  reuse stale statistics.
- **Toy 2-D runs** get mode coverage (Metz et al. 2017; Srivastava et al. 2017) instead of image
  metrics: see ``metrics.mode_coverage.toy_mode_coverage``.

Names follow the extractor (``metrics.registry``): a Frechet distance on the Fashion-MNIST network is
FD-FMNIST (on the MNIST one FD-MNIST) and is never reported as FID. Tests: ``tests/test_evaluation.py``.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor, nn

from ganforge.errors import GanforgeError

if TYPE_CHECKING:
    from ganforge.config import DataConfig
    from ganforge.metrics.features import Extractor
    from ganforge.metrics.reference import ReferenceStats

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
    "classifier_score": "is",
    "precision_recall": "pr",
    "density_coverage": "dc",
    "coverage": "dc",
    "classes": "modes",
    **{k: k for k in METRIC_KEYS},
}
FEATURES = ("auto", "fmnist", "mnist", "inception")
REAL_SPLIT = {"fashion-mnist": "test", "mnist": "test", "cifar10": "train"}
DATASET_CLASSIFIER = {"fmnist": "fashion-mnist", "mnist": "mnist"}  # extractor -> its classes
GENERATE_BATCH = 500
# Feature sizes, known before an extractor is loaded, so a config can be checked up front
# (tests/test_evaluation.py checks them against the networks).
FEATURE_DIMS = {"fmnist": 256, "mnist": 256, "inception": 2048}

# Direction of every scalar a metric reports, for best-checkpoint selection and for readers.
LOWER_IS_BETTER = frozenset(
    {"fid", "fd_fmnist", "fd_mnist", "kid", "kid_fmnist", "kid_mnist", "class_kl"}
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


def is_toy(source: str) -> bool:
    return source.startswith("toy-")


def default_features(source: str) -> str:
    """The data set's own classifier where there is one (fmnist: shipped; mnist: trained once by
    ``benchmarks/train_feature_net.py --dataset mnist``), inception for everything else."""
    return {"fashion-mnist": "fmnist", "mnist": "mnist"}.get(source, "inception")


def resolve_features(features: str | None, source: str) -> str:
    if features in (None, "", "auto"):
        return default_features(source)
    if features not in FEATURES:
        hint = difflib.get_close_matches(features, FEATURES, n=1)
        extra = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise GanforgeError(f"unknown features {features!r}{extra}; use fmnist, mnist or inception")
    return features


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
    from ganforge.metrics.registry import reported_names as names

    table = names(features)
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


def check_sample_count(metrics: Sequence[str], n: int, feature_dim: int, what: str = "n") -> None:
    """Fail before sampling when the Frechet distance cannot be computed from ``n`` samples."""
    if "fid" in metrics and n <= feature_dim:
        raise GanforgeError(
            f"{what}={n} is too few for the Frechet distance on {feature_dim}-d features (it needs "
            f"more samples than dimensions): use {what}={feature_dim + 1} or more (10000 for "
            "comparable numbers), or drop fd from the metrics"
        )


# --------------------------------------------------------------------------- real data


@dataclass
class RealData:
    """Real images to score against, and how they were obtained."""

    images: Tensor  # uint8 (N, C, H, W)
    labels: Tensor | None  # int64 (N,)
    name: str  # data set name, e.g. "fashion-mnist"
    split: str  # the split actually loaded ("all" for folders)
    dataset_id: str  # name, shape and pixel hash: the reference-cache key's data set part
    warnings: list[str] = field(default_factory=list)


def content_id(images: Tensor) -> str:
    """12 hex digits of SHA-256 over the uint8 pixels (and shape)."""
    h = hashlib.sha256(str(tuple(images.shape)).encode())
    h.update(images.contiguous().numpy().tobytes())
    return h.hexdigest()[:12]


def as_real(images: Tensor, labels: Tensor | None, name: str, split: str) -> RealData:
    c, hh, ww = images.shape[1:]
    safe = name.replace("folder:", "folder-").replace("/", "-")
    dataset_id = f"{safe}-{c}x{hh}x{ww}-{content_id(images)}"
    return RealData(images, labels, name, split, dataset_id)


def load_real(data: DataConfig, split: str | None = None) -> RealData:
    """The real images a run is scored against: its source at its size, in the conventional split."""
    from ganforge.data import load_data

    if is_toy(data.source):
        raise GanforgeError("toy runs have points, not images: they are scored by mode coverage")
    is_folder = data.source.startswith("folder:")
    if split is None:
        split = "all" if is_folder else REAL_SPLIT.get(data.source, "test")
    if is_folder and split != "all":
        raise GanforgeError(f"folder data has no {split!r} split; leave the split out")
    cfg = dataclasses.replace(data, split="train" if is_folder else split, max_images=0)
    loaded = load_data(cfg)
    real = as_real(loaded.images, loaded.labels, loaded.name, loaded.report.get("split", split))
    real.warnings = list(loaded.report.get("warnings", []))
    return real


# --------------------------------------------------------------------------- samples


def sample_labels(n: int, num_classes: int, real_labels: Tensor | None, seed: int) -> Tensor | None:
    """Labels for a conditional generator: drawn from the real labels (their class distribution),
    uniform when there are none; None for an unconditional one."""
    if num_classes <= 0:
        return None
    g = torch.Generator().manual_seed(seed + 1)
    if real_labels is not None and len(real_labels):
        return real_labels[torch.randint(0, len(real_labels), (n,), generator=g)]
    return torch.randint(0, num_classes, (n,), generator=g)


def generate(
    G: nn.Module,
    n: int,
    seed: int = 0,
    batch: int | None = None,
    labels: Tensor | None = None,
    quantise: bool = True,
) -> Tensor:
    """``n`` samples of ``G``: uint8 (n, C, H, W) images, or float (n, D) when ``quantise`` is off.

    z is drawn on the CPU so the samples do not depend on the device; the generator's train/eval
    mode is restored afterwards (batch norm must not update its statistics here).
    """
    if n < 1:
        raise GanforgeError(f"the number of samples must be positive, got {n}")
    from ganforge.images import to_uint8

    batch = batch or GENERATE_BATCH
    device = next(G.parameters()).device
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, G.z_dim, generator=g)  # (n, z_dim)
    was_training = G.training
    G.eval()
    out = []
    try:
        with torch.inference_mode():
            for i in range(0, n, batch):
                y = None if labels is None else labels[i : i + batch].to(device)
                x = G(z[i : i + batch].to(device), y).float()
                out.append(to_uint8(x) if quantise else x.cpu())
    finally:
        G.train(was_training)
    return torch.cat(out)


# --------------------------------------------------------------------------- scoring


def reference_for(
    real: RealData, extractor: Extractor, n: int, seed: int, batch: int | None = None
) -> ReferenceStats:
    """Features of ``n`` seeded real images, loaded from (or written to) the reference cache."""
    from ganforge.metrics.reference import cached_reference

    return cached_reference(
        real.images, extractor, real.dataset_id, real.split, n, seed, real.labels, batch
    )


# Protocol entries that name what was scored rather than how: left out of ``protocol_hash``.
SUBJECT_KEYS = frozenset({"run", "checkpoint", "images_seen", "fake", "fake_images_sha256"})


def protocol_hash(protocol: dict[str, Any]) -> str:
    """12 hex digits identifying how a result was made: equal hashes, comparable numbers."""
    keep = {k: v for k, v in protocol.items() if k not in SUBJECT_KEYS}
    return hashlib.sha256(json.dumps(jsonable(keep), sort_keys=True).encode()).hexdigest()[:12]


def score_images(
    fake: Tensor,
    reference: ReferenceStats,
    extractor: Extractor,
    metrics: Sequence[str],
    seed: int = 0,
    batch: int | None = None,
    num_classes: int = 10,
) -> dict[str, Any]:
    """uint8 fakes against cached real statistics -> {"metrics": ..., "protocol": ...}."""
    from ganforge.metrics.registry import evaluate

    if "modes" in metrics and reference.labels is None:
        raise GanforgeError(
            "metric 'modes' needs labelled real data of the classifier's classes "
            "(Fashion-MNIST with --features fmnist); drop it from the metrics"
        )
    check_sample_count(metrics, min(len(fake), len(reference.features)), extractor.feature_dim)
    result = evaluate(
        fake,
        reference,
        list(metrics),
        extractor=extractor,
        n=len(fake),
        seed=seed,
        batch_size=batch,
        num_classes=num_classes,
    )
    protocol = result.pop("protocol")
    return {"metrics": jsonable(result), "protocol": jsonable(protocol)}


def score_generator(
    G: nn.Module,
    real: RealData,
    extractor: Extractor,
    metrics: Sequence[str],
    n: int = 10_000,
    seed: int = 0,
    batch: int | None = None,
    num_classes: int = 0,
    reference: ReferenceStats | None = None,
) -> dict[str, Any]:
    """Generate ``n`` samples and score them against ``real`` (its cached reference when given)."""
    check_modes(metrics, extractor.name, real.name)
    check_sample_count(metrics, min(n, len(real.images)), extractor.feature_dim)
    ref = reference if reference is not None else reference_for(real, extractor, n, seed, batch)
    labels = sample_labels(n, num_classes, real.labels, seed)
    fake = generate(G, n, seed, batch, labels)
    result = score_images(fake, ref, extractor, metrics, seed, batch)
    result["protocol"]["sampling"] = {
        "z": f"N(0, I) from torch.Generator(cpu).manual_seed({seed})",
        "labels": "drawn from the real labels" if labels is not None else None,
        "generator_mode": "eval",
    }
    return result


def score_toy(
    G: nn.Module, source: str, std: float, n: int = 10_000, seed: int = 0, batch: int | None = None
) -> dict[str, Any]:
    """Mode coverage of a 2-D toy generator (Metz et al. 2017; Srivastava et al. 2017)."""
    from ganforge.data.toy import TOY_CENTERS
    from ganforge.metrics.mode_coverage import toy_mode_coverage

    points = generate(G, n, seed, batch, quantise=False)
    cov = toy_mode_coverage(points, TOY_CENTERS[source](), std)
    metrics = {
        "modes_covered": cov.modes_covered,
        "num_modes": cov.num_modes,
        "high_quality_fraction": cov.high_quality_fraction,
        "mode_counts": cov.counts,
    }
    protocol = {
        "dataset": source,
        "mode_std": std,
        "high_quality": "within 3 std of the nearest mode centre",
        "mode_covered": f"at least {cov.min_count} high-quality samples (0.2 x N / K)",
        "n_fake": n,
        "seed": seed,
        "ganforge_version": _version(),
        "sampling": {"z": f"N(0, I) from torch.Generator(cpu).manual_seed({seed})"},
    }
    return {"metrics": jsonable(metrics), "protocol": protocol}


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


def _version() -> str:
    import ganforge

    return ganforge.__version__
