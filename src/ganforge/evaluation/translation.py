"""Score an image-to-image run on held-out data: what ``ganforge eval RUN`` reports for pix2pix,
CycleGAN and SRGAN runs, and what ``benchmarks/i2i_quality.py`` records.

Protocol (written into every result):

- **Data.** The run's data source with ``data.split=test`` (pix2pix: ``test/`` or ``val/``; CycleGAN:
  ``testA/``, ``testB/``; the demos: the Fashion-MNIST test split), the first ``n`` examples,
  centre crops of ``data.resolution`` (SR: the whole stored image as HR, cropped to a multiple of
  the scale, its LR the same bicubic downscale as in training). When a source has no test split
  the training data are used, and ``held_out`` says so. At most ``MAX_N`` examples (said when
  capped), fewer when the split is smaller (said in the notes).
- **Paired fidelity** (pix2pix, SRGAN): PSNR and SSIM (``metrics/psnr_ssim.py``) of the uint8
  outputs against the targets, with the trivial baseline beside them: the input returned unchanged
  (pix2pix), plain bicubic upscaling (SRGAN). SR follows the SR papers (SRGAN, Ledig et al. 2017,
  sec. 3.1, and the tables after it): ``scale`` border pixels cropped and, for RGB, the BT.601
  luma Y only (``channels``: auto | y | all).
- **Distribution** (all): the Frechet distance between features of the outputs and of the target
  domain (FD-FMNIST for images made from Fashion-MNIST, FID on the Inception network otherwise),
  beside the same distance for the untranslated inputs ("do nothing"). When the automatic
  choice cannot be computed (Inception weights not downloadable offline, or no more held-out
  images than feature dimensions) the other metrics are still reported and the reason is recorded
  in ``protocol["skipped"]``.
- **CycleGAN**: the cycle reconstruction error, mean |F(G(a)) - a| / 255 (and |G(F(b)) - b|); on
  the sneakers2boots demo, the fraction of translated images the Fashion-MNIST classifier assigns
  to the target class (and of the inputs, the baseline).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ganforge.config import Config
from ganforge.data.dataset import ImageData
from ganforge.data.i2i.demos import ANKLE_BOOT, SNEAKER
from ganforge.data.i2i.domains import apply_crops, center_plan
from ganforge.data.i2i.sr import bicubic_upscale, downscale
from ganforge.data.loader import to_model_range
from ganforge.errors import GanforgeError
from ganforge.evaluation.options import EvalOptions
from ganforge.evaluation.protocol import FEATURE_DIMS, fd_minimum
from ganforge.images import to_uint8
from ganforge.inference.translator import Translator, translate_tensor
from ganforge.metrics import psnr_ssim as Q
from ganforge.metrics.features import EXTRACTORS, load_extractor
from ganforge.metrics.registry import evaluate, fd_why

MAX_N = 10_000
"""Most examples scored (the held-out splits are smaller; this bounds memory)."""
FASHION_SOURCES = ("fashion-mnist", "edges2fashion", "sneakers2boots")
CHANNELS = ("auto", "y", "all")
DataLoader = Callable[[Config], ImageData]
"""The task's data reader (``Task.load_data``), passed down: evaluation sits below the tasks."""


def held_out(cfg: Config, load_data: DataLoader, run_dir: Path) -> tuple[Any, bool, list[str]]:
    """The run's data in its test split (else its training data), whether it is held out, and
    notes saying what was scored. Shared by the evaluators that score a run on its own data."""
    test_cfg = dataclasses.replace(
        cfg, data=dataclasses.replace(cfg.data, split="test", max_images=0, exclude="")
    )
    try:
        data = load_data(test_cfg)
    except GanforgeError as e:
        return load_data(cfg), False, [f"no test split ({e}): scored on the training data"]
    notes = list(data.report.get("warnings", []))
    trained: Any = {}
    with contextlib.suppress(OSError, ValueError):  # no readable report: the split is unknown
        trained = json.loads((run_dir / "data_report.json").read_text(encoding="utf-8"))
    if not isinstance(trained, dict):
        trained = {}
    # A run that fell back to the test split (no train split found) trained on these images.
    held = data.report.get("split") == "test" and trained.get("split") != "test"
    if not held:
        notes.append("the scored images are not held out from training")
    return data, held, notes


def _center(images: Tensor, n: int, size: int) -> Tensor:
    x = images[:n]
    return apply_crops(x, center_plan(len(x), x.shape[-1], size, x.device), size)


def _batched(tr: Translator, x: Tensor, batch: int) -> Tensor:
    return torch.cat([translate_tensor(tr, x[i : i + batch]) for i in range(0, len(x), batch)])


def _fd(fake: Tensor, real: Tensor, extractor: Any, seed: int) -> float:
    n = min(len(fake), len(real))  # more than the feature dimension: checked by _extractor
    res = evaluate(fake, real, ["fid"], extractor=extractor, n=n, seed=seed)
    return float(next(v for k, v in res.items() if k != "protocol"))


def default_features(cfg: Any) -> str:
    """fmnist for images made from Fashion-MNIST (its classifier ships with ganforge), inception
    (FID) for everything else, grey or colour."""
    return "fmnist" if cfg.data.source.strip() in FASHION_SOURCES else "inception"


def resolve_features(cfg: Any, features: str) -> str:
    """auto -> :func:`default_features`; anything else must name an extractor (or none)."""
    allowed = ("auto", *EXTRACTORS, "none")
    if features not in allowed:
        raise GanforgeError(f"--features {features} is not one of {', '.join(allowed)}")
    return features if features != "auto" else default_features(cfg)


def _extractor(feats: str, asked: bool, n: int) -> tuple[Any, dict[str, str]]:
    """(extractor or None, skipped), loaded before any image is translated.

    Too few images for a Frechet distance skip it without loading (or downloading) anything. An
    extractor asked for by name must load (its error is the command's); the automatic choice skips
    the distance with the reason (e.g. the Inception weights offline) and scores the rest.
    """
    if feats == "none":
        return None, {}
    name, dim = _fd_name(feats), FEATURE_DIMS.get(feats, 0)
    if n <= dim:  # a covariance of rank < dim: the distance would mostly measure the count
        why = f"{n} images per side, not more than the {dim} dimensions of the {feats} features"
        return None, {name: f"{why}: score more held-out images"}
    if feats in FEATURE_DIMS and n < fd_minimum(feats):  # lite1's measured minimum
        why = f"{n} images per side: {fd_why(fd_minimum(feats), dim)}"
        return None, {name: f"{why}: score more held-out images"}
    try:
        return load_extractor(feats), {}
    except GanforgeError as e:
        if asked:
            raise
        return None, {name: f"{feats} features unavailable: {e}"}


def _fd_name(feats: str) -> str:
    return "fid" if feats == "inception" else f"fd_{feats}"


def fidelity_channels(tr: Translator, choice: str = "auto") -> str:
    """ "y" (BT.601 luma, the SR papers' convention: the default for RGB super-resolution) or "all"
    (every channel of the image)."""
    if choice not in CHANNELS:
        raise GanforgeError(f"--fidelity-channels {choice} is not one of {', '.join(CHANNELS)}")
    if choice == "auto":
        return "y" if tr.scale > 1 and tr.channels == 3 else "all"
    if choice == "y" and tr.channels != 3:
        raise GanforgeError(
            f"--fidelity-channels y takes the luma of RGB images; this run has {tr.channels} "
            "channel(s): leave it out"
        )
    return choice


def evaluate_translator(
    tr: Translator,
    load_data: DataLoader,
    run_dir: Path,
    options: EvalOptions,
    reverse: Translator | None = None,
) -> dict[str, Any]:
    """Scores of ``tr`` on held-out data -> {"metrics": {...}, "protocol": {...}}.

    ``load_data`` is the task's reader (for the test split); ``reverse`` the generator of the other
    direction when the run has one (CycleGAN: the cycle error). ``options.features``: auto
    (fmnist for Fashion-MNIST data, else inception), fmnist, inception or none;
    ``options.fidelity_channels``: PSNR/SSIM on the luma Y or on all channels (auto: Y for RGB
    super-resolution). Metrics that could not be computed are left out of ``metrics`` and listed,
    with the reason, in ``protocol["skipped"]``.
    """
    options.refuse(
        "metrics",
        "split",
        "real",
        why="does not apply to image-to-image runs: they are scored "
        "on their own data's held-out split (PSNR/SSIM, FD of the outputs, cycle error)",
    )
    n, seed, batch = min(options.n, MAX_N), options.seed, options.batch or 64
    cfg = tr.cfg
    feats = resolve_features(cfg, options.features)
    fid_on = fidelity_channels(tr, options.fidelity_channels or "auto")
    data, held, notes = held_out(cfg, load_data, run_dir)
    if n < options.n:
        notes.append(f"--n {options.n:,} capped at {MAX_N:,}")
    ext, skipped = _extractor(feats, options.features != "auto", min(n, len(data)))
    size = cfg.data.resolution
    forward = tr.direction == cfg.i2i.direction
    super_resolution = tr.scale > 1
    paired = bool(getattr(data, "paired", False))
    metrics: dict[str, Any] = {}
    crop = 0
    if super_resolution:
        s = crop = tr.scale
        hr = data.images[:n]
        side = hr.shape[-1] - hr.shape[-1] % s
        hr = hr[..., :side, :side]
        lr = to_uint8(downscale(to_model_range(hr), s))
        out = _batched(tr, lr, batch)
        base = to_uint8(bicubic_upscale(to_model_range(lr), s))
        metrics.update(_fidelity(out, hr, base, s, "bicubic", fid_on))
        inputs, targets = base, hr
    else:
        a, b = data.sources, data.images
        if not forward:
            a, b = b, a
        x = _center(a, n, size)
        out = _batched(tr, x, batch)
        targets = _center(b, n, size)
        inputs = x
        if paired:
            metrics.update(_fidelity(out, targets, x, 0, "input", fid_on))
        if reverse is not None:
            rec = _batched(reverse, out, batch)
            metrics["cycle_error"] = float(Q.mae(rec, x).mean())
            back = _batched(reverse, targets, batch)
            metrics["cycle_error_reverse"] = float(Q.mae(_batched(tr, back, batch), targets).mean())
    if len(out) < n:
        notes.append(f"{len(out)} held-out examples, fewer than n={n}: all of them were scored")
    if ext is not None:
        name = _fd_name(feats)
        metrics[name] = _fd(out, targets, ext, seed)
        metrics[f"{name}_baseline"] = _fd(inputs, targets, ext, seed)
        if data.report.get("source") == "sneakers2boots" and feats == "fmnist":
            # The demo's domains are two Fashion-MNIST classes: the classifier says whether a
            # translated image became the other class.
            want = ANKLE_BOOT if (forward == (cfg.i2i.direction == "AtoB")) else SNEAKER
            metrics["target_class_accuracy"] = _accuracy(ext, out, want)
            metrics["target_class_accuracy_baseline"] = _accuracy(ext, inputs, want)
    fidelity = {k: Q.PROTOCOL[k] for k in ("psnr", "ssim", "mae")}
    fidelity.update(channels=fid_on, border_crop=crop)
    if fid_on == "y":
        fidelity["y"] = Q.PROTOCOL["y"]
    if super_resolution:
        baseline = "bicubic upscaling"
    else:
        baseline = "input returned unchanged" if paired else "inputs untranslated"
    protocol = {
        "task": cfg.model.task,
        "direction": tr.direction,
        "data": cfg.data.source,
        "split": data.report.get("split", "test"),
        "held_out": held,
        "n": len(out),
        "crop": f"whole stored images, border {tr.scale}"
        if super_resolution
        else f"centre {size} px",
        "fidelity": fidelity,
        "features": feats,
        "baseline": baseline,
        "skipped": skipped,
        "seed": seed,
        "notes": notes,
    }
    return {"metrics": metrics, "protocol": protocol, "name": tr.direction}


def _fidelity(
    out: Tensor, target: Tensor, baseline: Tensor, crop: int, name: str, channels: str
) -> dict:
    if channels == "y":  # SR papers' convention: the BT.601 luma only
        out, target, baseline = Q.rgb_to_y(out), Q.rgb_to_y(target), Q.rgb_to_y(baseline)
    res = {
        "psnr": float(Q.psnr(out, target, crop=crop).mean()),
        f"psnr_{name}": float(Q.psnr(baseline, target, crop=crop).mean()),
    }
    if min(target.shape[-2:]) - 2 * crop >= Q.WINDOW:  # else too small for the SSIM window
        res["ssim"] = float(Q.ssim(out, target, crop=crop).mean())
        res[f"ssim_{name}"] = float(Q.ssim(baseline, target, crop=crop).mean())
    return res


def _accuracy(ext: Any, images: Tensor, cls: int) -> float:
    logits = torch.from_numpy(ext.extract(images)["logits"])
    return float((logits.argmax(1) == cls).float().mean())


# --------------------------------------------------------------------------- the command
