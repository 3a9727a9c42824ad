"""Score an inpainting run on held-out images: what ``ganforge eval RUN`` reports for an
inpainting run and what ``benchmarks/inpaint_quality.py`` records.

Protocol (written into every result):

- **Data.** The run's data source with ``data.split=test`` (the Fashion-MNIST demo: its test
  split), the first ``n`` images at the run's size; when the source has no test split, the training
  data, and ``held_out`` says so (as does a run that itself trained on the test split).
- **Masks.** Fixed and seeded (masks/bands.py): for each kind, rectangles and free-form strokes,
  and each band of missing share, 10-20 %, 20-40 % and 40-60 % (Liu et al. 2018 report by band;
  Yu et al. 2019 score boxes and strokes apart), ``n`` masks drawn from ``--seed``: every model
  and baseline fills the same holes of the same images.
- **Scores** (metrics/inpainting.py), on uint8 images: PSNR over the hole's pixels, SSIM over the
  hole's bounding box, PSNR and SSIM of the whole image, and the Frechet distance of the completed
  images to the originals (FD-FMNIST on Fashion-MNIST data, the EfficientNet-Lite1 ``lite1``
  features on anything else; ``--features`` picks another). The model's result keeps every known
  pixel of the input (``inference/inpainter.py``).
- **Baselines**, each on the same images and masks: ``mean`` (the per-channel mean of the known
  pixels), ``telea`` and ``ns`` (OpenCV's ``cv2.inpaint``; skipped with a note when
  opencv-python-headless is not installed: ``pip install 'ganforge[inpaint]'``).

Metric names: ``<kind>.<band>.<method>.<score>``, e.g. ``strokes.20-40.model.hole_psnr``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ganforge.config import Config
from ganforge.data.dataset import ImageData
from ganforge.errors import GanforgeError
from ganforge.evaluation.options import EvalOptions
from ganforge.evaluation.protocol import FEATURE_DIMS, fd_minimum
from ganforge.inference.inpainter import Inpainter, inpaint_batch
from ganforge.masks import SAMPLERS
from ganforge.masks.bands import BANDS, band_masks
from ganforge.metrics import inpainting as Q
from ganforge.metrics.features import EXTRACTORS, load_extractor
from ganforge.metrics.fid import frechet_distance_from_features

MAX_N = 2_000
"""Most images scored per (kind, band): 6 mask sets x 4 fills, each through the features."""
FASHION_SOURCES = ("fashion-mnist",)
SCORES = ("hole_psnr", "box_ssim", "psnr", "ssim", "fd")
DataLoader = Callable[[Config], ImageData]
"""The task's data reader (``Task.load_data``), passed down: evaluation sits below the tasks."""
Say = Callable[[str], Any]


def default_features(cfg: Config) -> str:
    """fmnist on Fashion-MNIST (its classifier ships with ganforge), lite1 on anything else."""
    return "fmnist" if cfg.data.source.strip() in FASHION_SOURCES else "lite1"


def held_out(cfg: Config, load_data: DataLoader, run_dir: Path) -> tuple[ImageData, bool, list]:
    """The run's data in its test split (else its training data) and whether it is held out."""
    test_cfg = dataclasses.replace(
        cfg, data=dataclasses.replace(cfg.data, split="test", max_images=0)
    )
    try:
        data = load_data(test_cfg)
    except GanforgeError as e:
        return load_data(cfg), False, [f"no test split ({e}): scored on the training data"]
    trained: Any = {}
    with contextlib.suppress(OSError, ValueError):  # no readable report: the split is unknown
        trained = json.loads((run_dir / "data_report.json").read_text(encoding="utf-8"))
    if not isinstance(trained, dict):
        trained = {}
    held = data.report.get("split") == "test" and trained.get("split") != "test"
    notes = [] if held else ["the scored images are not held out from training"]
    return data, held, notes


def _extractor(feats: str, asked: bool, n: int) -> tuple[Any, dict[str, str]]:
    """(extractor or None, skipped): too few images, or features that cannot load when not asked
    for by name, skip the distance with the reason."""
    if feats == "none":
        return None, {}
    dim = FEATURE_DIMS.get(feats, 0)
    if n <= dim or (feats in FEATURE_DIMS and n < fd_minimum(feats)):
        return None, {"fd": f"{n} images per set, too few for the {dim}-d {feats} features"}
    try:
        return load_extractor(feats), {}
    except GanforgeError as e:
        if asked:
            raise
        return None, {"fd": f"{feats} features unavailable: {e}"}


def _fills(model: Inpainter, batch: int) -> tuple[dict[str, Callable], dict[str, str]]:
    """The methods scored: the model, then the baselines that can run here."""
    fills: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
        "model": lambda x, m: torch.cat(
            [
                inpaint_batch(model, x[i : i + batch], m[i : i + batch])
                for i in range(0, len(x), batch)
            ]
        ),
        "mean": Q.mean_fill,
    }
    skipped: dict[str, str] = {}
    if importlib.util.find_spec("cv2") is None:
        skipped["telea"] = skipped["ns"] = f"cv2.inpaint needs OpenCV: {Q.EXTRA}"
    else:
        fills["telea"], fills["ns"] = Q.BASELINES["telea"], Q.BASELINES["ns"]
    return fills, skipped


def evaluate_inpainter(
    model: Inpainter,
    load_data: DataLoader,
    run_dir: Path,
    options: EvalOptions,
    say: Say = print,
) -> dict[str, Any]:
    """Scores of ``model`` and the baselines on held-out images with fixed masks per band ->
    {"metrics", "protocol", "name"} (module docstring)."""
    options.refuse(
        "metrics",
        "split",
        "real",
        "direction",
        "fidelity_channels",
        why="does not apply to inpainting runs: they are scored on their data's held-out split "
        "with fixed masks per band (hole PSNR, box SSIM, PSNR/SSIM, FD)",
    )
    cfg = model.cfg
    allowed = ("auto", *EXTRACTORS, "none")
    if options.features not in allowed:
        raise GanforgeError(f"--features {options.features} is not one of {', '.join(allowed)}")
    feats = default_features(cfg) if options.features == "auto" else options.features
    data, held, notes = held_out(cfg, load_data, run_dir)
    n = min(options.n, MAX_N, len(data))
    if n < options.n:
        notes.append(f"{n:,} images scored per mask set (--n {options.n:,}; at most {MAX_N:,})")
    originals = data.images[:n]  # uint8 (n, C, H, W)
    size = tuple(originals.shape[-2:])
    ext, skipped = _extractor(feats, options.features != "auto", n)
    fills, missing = _fills(model, options.batch or 64)
    skipped.update(missing)
    real_features = None if ext is None else ext.extract(originals)["pool"]
    metrics: dict[str, float] = {}
    shares: dict[str, float] = {}
    for kind in SAMPLERS:
        for band in BANDS:
            masks = band_masks(kind, band, n, size, options.seed)  # (n, 1, H, W)
            shares[f"{kind}.{band}"] = float(masks.mean())
            say(f"{kind} {band}: {', '.join(fills)}")
            for method, fill in fills.items():
                done = fill(originals, masks)
                s = Q.inpainting_scores(done, originals, masks)
                key = f"{kind}.{band}.{method}"
                metrics[f"{key}.hole_psnr"] = float(Q.set_psnr(s["hole_mse"]))
                metrics[f"{key}.box_ssim"] = float(s["box_ssim"].mean())
                metrics[f"{key}.psnr"] = float(Q.set_psnr(s["mse"]))
                metrics[f"{key}.ssim"] = float(s["ssim"].mean())
                if ext is not None:
                    fake = ext.extract(done)["pool"]
                    metrics[f"{key}.fd"] = frechet_distance_from_features(fake, real_features)
    protocol = {
        "task": cfg.model.task,
        "data": cfg.data.source,
        "split": data.report.get("split", "test"),
        "held_out": held,
        "n": n,
        "size": list(size),
        "masks": {
            "kinds": list(SAMPLERS),
            "bands": {k: list(v) for k, v in BANDS.items()},
            "seed": options.seed,
            "drawn": "masks/bands.py band_masks(kind, band, n, size, seed): fixed, seeded",
            "mean_share": shares,
        },
        "scores": {k: Q.PROTOCOL[k] for k in ("hole_psnr", "box_ssim", "psnr", "ssim")},
        "fd": f"Frechet distance of the completed images' {feats} features to the originals'",
        "features": feats,
        "methods": {
            "model": "the run's generator; known pixels copied from the input",
            **{k: Q.PROTOCOL[k] for k in ("mean", "telea", "ns") if k in fills},
        },
        "skipped": skipped,
        "seed": options.seed,
        "notes": notes,
    }
    return {"metrics": metrics, "protocol": protocol, "name": f"inpaint-{feats}"}


def table(metrics: dict[str, float]) -> str:
    """The scores as one row per (kind, band, method), a column per score (for the README)."""
    rows: dict[str, dict[str, float]] = {}
    for key, value in metrics.items():
        kind, band, method, score = key.split(".")
        rows.setdefault(f"{kind} {band} {method}", {})[score] = value
    head = f"{'masks / method':28s}" + "".join(f"{s:>10s}" for s in SCORES)
    lines = [head, "-" * len(head)]
    for name, vals in rows.items():
        cells = "".join(
            f"{vals[s]:10.3f}" if s in vals and np.isfinite(vals[s]) else f"{'-':>10s}"
            for s in SCORES
        )
        lines.append(f"{name:28s}{cells}")
    return "\n".join(lines)
