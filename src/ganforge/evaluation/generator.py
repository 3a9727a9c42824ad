"""Score a generator: draw its samples, pick the real data to compare with, run the metric registry.

``ganforge eval``, evaluation during training (``evaluation/training.py``) and
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
FD-FMNIST (on the MNIST one FD-MNIST) and is never reported as FID. Tests:
``tests/evaluation/test_generator.py``.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from PIL import ImageColor
from torch import Tensor, nn

from ganforge.config import Config, DataConfig
from ganforge.data import load_data
from ganforge.data.sources.toy import TOY_CENTERS
from ganforge.data.transforms import composite
from ganforge.errors import GanforgeError
from ganforge.evaluation.options import EvalOptions
from ganforge.evaluation.protocol import (
    REAL_SPLIT,
    check_modes,
    check_sample_count,
    default_metrics,
    drop_fd_if_too_few,
    features_note,
    is_toy,
    jsonable,
    parse_metrics,
    resolve_features,
)
from ganforge.images import to_uint8
from ganforge.inference.noise import NoiseGenerator
from ganforge.metrics.features import Extractor, alpha_protocol, load_extractor
from ganforge.metrics.mode_coverage import toy_mode_coverage
from ganforge.metrics.reference import ReferenceStats, cached_reference
from ganforge.metrics.registry import evaluate
from ganforge.version import __version__

GENERATE_BATCH = 500
"""Samples per forward pass when none is given."""

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
    background: tuple[int, int, int] | None = None
    """RGBA runs: the colour both real and generated images are composited onto before feature
    extraction (the feature networks see grey or RGB), recorded in the protocol."""


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
    if is_toy(data.source):
        raise GanforgeError("toy runs have points, not images: they are scored by mode coverage")
    is_folder = data.source.startswith("folder:")
    if split is None:
        split = "all" if is_folder else REAL_SPLIT.get(data.source, "test")
    if is_folder and split != "all":
        raise GanforgeError(f"folder data has no {split!r} split; leave the split out")
    # The reference is the source as published: a training run's cleaning (data.exclude) is its own.
    read = "train" if is_folder else split
    cfg = dataclasses.replace(data, split=read, max_images=0, exclude="")
    loaded = load_data(cfg)
    images, background = loaded.images, None
    if images.shape[1] == 4:
        background = ImageColor.getrgb(data.background)[:3]
        images = composite(images, background)
    real = as_real(images, loaded.labels, loaded.name, loaded.report.get("split", split))
    real.warnings = list(loaded.report.get("warnings", []))
    real.background = background
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
    return cached_reference(
        real.images, extractor, real.dataset_id, real.split, n, seed, real.labels, batch
    )


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
    if "modes" in metrics and reference.labels is None:
        raise GanforgeError(
            "metric 'modes' needs labelled real data of the classifier's classes "
            "(Fashion-MNIST with --features fmnist); drop it from the metrics"
        )
    check_sample_count(
        metrics,
        min(len(fake), len(reference.features)),
        extractor.feature_dim,
        minimum=extractor.fd_minimum,
    )
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
    check_sample_count(
        metrics, min(n, len(real.images)), extractor.feature_dim, minimum=extractor.fd_minimum
    )
    ref = reference if reference is not None else reference_for(real, extractor, n, seed, batch)
    labels = sample_labels(n, num_classes, real.labels, seed)
    fake = generate(G, n, seed, batch, labels)
    if fake.shape[1] == 4:  # RGBA: scored as seen over the run's background, like the reals
        fake = composite(fake, real.background or (255, 255, 255))
    result = score_images(fake, ref, extractor, metrics, seed, batch)
    if real.background is not None:
        result["protocol"]["rgba"] = alpha_protocol(real.background)
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
        "ganforge_version": __version__,
        "sampling": {"z": f"N(0, I) from torch.Generator(cpu).manual_seed({seed})"},
    }
    return {"metrics": jsonable(metrics), "protocol": protocol}


# --------------------------------------------------------------------------- a trained run


def evaluate_noise_model(
    model: NoiseGenerator, cfg: Config, options: EvalOptions, say=print
) -> dict[str, Any]:
    """``ganforge eval RUN`` for a noise-to-sample model: {"metrics", "protocol", "name"}.

    The run's own data source (or ``options.real``) in its conventional split (or
    ``options.split``); toy runs get mode coverage. Cheap checks come first, so a request that
    must fail does so before any sampling or feature extraction. ``name`` is the result file's
    stem, e.g. ``fmnist`` (``eval-<checkpoint>-fmnist.json``).
    """
    options.refuse(
        "direction",
        "fidelity_channels",
        why="is for image-to-image runs (pix2pix, CycleGAN, SRGAN)",
    )
    data_cfg = cfg.data
    if options.real:
        data_cfg = dataclasses.replace(data_cfg, source=options.real)
    source = data_cfg.source
    if is_toy(source):
        if options.metrics and parse_metrics(options.metrics) != ["modes"]:
            raise GanforgeError("toy runs are scored by mode coverage only: use --metrics modes")
        say(f"{options.n:,} samples, {source} modes (std {data_cfg.toy_std:g})")
        result = score_toy(
            model.G, source, data_cfg.toy_std, options.n, options.seed, options.batch
        )
        features = "toy"
    else:
        features = resolve_features(options.features, source)
        if options.features in (None, "", "auto") and (note := features_note(features, source)):
            say(note)
        explicit = bool(options.metrics)
        metrics = parse_metrics(options.metrics) if explicit else default_metrics(source, features)
        check_modes(metrics, features, source)
        # Cheap checks first: n, then (after reading the data) the real images per side.
        metrics, note = drop_fd_if_too_few(metrics, options.n, features, explicit, "--n")
        extractor = load_extractor(features)
        real = load_real(data_cfg, options.split)
        for w in real.warnings:
            say(f"note: {w}")
        if note is None:
            per_side = min(options.n, len(real.images))
            metrics, note = drop_fd_if_too_few(
                metrics, per_side, features, explicit, "images per side"
            )
        if note is not None:
            say(note)
        say(
            f"{options.n:,} samples vs {real.name} {real.split} split ({len(real.images):,} "
            f"images), features {features} {extractor.weights_sha256[:12]}"
        )
        result = score_generator(
            model.G,
            real,
            extractor,
            metrics,
            options.n,
            options.seed,
            options.batch,
            model.num_classes,
        )
    name = features
    if options.real or options.split:
        # Other real data than the default: a file of its own, the default result stays.
        other = "-".join(x for x in (options.real, options.split) if x)
        name += "-vs-" + "".join(c if c.isalnum() else "-" for c in other)
    return {**result, "name": name}
