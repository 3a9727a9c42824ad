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

import argparse
import dataclasses
import sys
from typing import Any

import torch
from torch import Tensor

from ganforge.data.domains import apply_crops, center_plan
from ganforge.data.loader import to_model_range
from ganforge.errors import GanforgeError
from ganforge.images import to_uint8
from ganforge.inference import Translator, is_i2i_run, translate_tensor
from ganforge.metrics import psnr_ssim as Q

__all__ = ["check_i2i_options", "eval_command", "evaluate_run", "is_i2i_run"]

MAX_N = 10_000
"""Most examples scored (the held-out splits are smaller; this bounds memory)."""
FASHION_SOURCES = ("fashion-mnist", "edges2fashion", "sneakers2boots")
CHANNELS = ("auto", "y", "all")
NOISE_ONLY = (
    ("metrics", "--metrics"),
    ("split", "--split"),
    ("real", "--real"),
    ("fake", "--fake"),
    ("resolution", "--resolution"),
)
"""``ganforge eval`` options of noise-to-image runs and folders, refused for image-to-image runs."""


def _held_out(tr: Translator) -> tuple[Any, bool, list[str]]:
    """The run's data in its test split (else its training data), and whether it is held out."""
    import json

    from ganforge.train.tasks import load_task_data

    cfg = tr.cfg
    test_cfg = dataclasses.replace(
        cfg, data=dataclasses.replace(cfg.data, split="test", max_images=0)
    )
    try:
        data = load_task_data(test_cfg)
    except GanforgeError as e:
        return load_task_data(cfg), False, [f"no test split ({e}): scored on the training data"]
    notes = list(data.report.get("warnings", []))
    trained = {}
    if (tr.run_dir / "data_report.json").is_file():
        trained = json.loads((tr.run_dir / "data_report.json").read_text())
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
    from ganforge.metrics.registry import evaluate

    n = min(len(fake), len(real))  # more than the feature dimension: checked by _extractor
    res = evaluate(fake, real, ["fid"], extractor=extractor, n=n, seed=seed)
    return float(next(v for k, v in res.items() if k != "protocol"))


def default_features(cfg: Any) -> str:
    """fmnist for images made from Fashion-MNIST (its classifier ships with ganforge), inception
    (FID) for everything else, grey or colour."""
    return "fmnist" if cfg.data.source.strip() in FASHION_SOURCES else "inception"


def resolve_features(cfg: Any, features: str) -> str:
    """auto -> :func:`default_features`; anything else must name an extractor (or none)."""
    from ganforge.metrics.features import EXTRACTORS

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
    from ganforge.evaluation import FEATURE_DIMS
    from ganforge.metrics.features import load_extractor

    if feats == "none":
        return None, {}
    name, dim = _fd_name(feats), FEATURE_DIMS.get(feats, 0)
    if n <= dim:  # a covariance of rank < dim: the distance would mostly measure the count
        why = f"{n} images per side, not more than the {dim} dimensions of the {feats} features"
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
        return "y" if tr.cfg.model.task == "srgan" and tr.channels == 3 else "all"
    if choice == "y" and tr.channels != 3:
        raise GanforgeError(
            f"--fidelity-channels y takes the luma of RGB images; this run has {tr.channels} "
            "channel(s): leave it out"
        )
    return choice


def evaluate_run(
    tr: Translator,
    n: int = 1000,
    seed: int = 0,
    features: str = "auto",
    batch: int = 64,
    reverse: Translator | None = None,
    channels: str = "auto",
) -> dict[str, Any]:
    """Scores of ``tr`` on held-out data -> {"metrics": {...}, "protocol": {...}}.

    ``reverse`` is the other generator of a CycleGAN run (for the cycle error); ``features``:
    auto (fmnist for Fashion-MNIST data, else inception), fmnist, inception or none; ``channels``:
    PSNR/SSIM on the luma Y or on all channels (auto: Y for RGB super-resolution). Metrics that
    could not be computed are left out of ``metrics`` and listed, with the reason, in
    ``protocol["skipped"]``.
    """
    cfg, task = tr.cfg, tr.cfg.model.task
    feats = resolve_features(cfg, features)
    fid_on = fidelity_channels(tr, channels)
    data, held, notes = _held_out(tr)
    ext, skipped = _extractor(feats, features != "auto", min(n, len(data)))
    size = cfg.data.resolution
    forward = tr.direction == cfg.i2i.direction
    metrics: dict[str, Any] = {}
    crop = 0
    if task == "srgan":
        from ganforge.data.sr import bicubic_upscale, downscale

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
        if task == "pix2pix":
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
        if (
            task == "cyclegan"
            and data.report.get("source") == "sneakers2boots"
            and feats == "fmnist"
        ):
            from ganforge.data.i2i_demos import ANKLE_BOOT, SNEAKER

            want = ANKLE_BOOT if (forward == (cfg.i2i.direction == "AtoB")) else SNEAKER
            metrics["target_class_accuracy"] = _accuracy(ext, out, want)
            metrics["target_class_accuracy_baseline"] = _accuracy(ext, inputs, want)
    fidelity = {k: Q.PROTOCOL[k] for k in ("psnr", "ssim", "mae")}
    fidelity.update(channels=fid_on, border_crop=crop)
    if fid_on == "y":
        fidelity["y"] = Q.PROTOCOL["y"]
    protocol = {
        "task": task,
        "direction": tr.direction,
        "data": cfg.data.source,
        "split": data.report.get("split", "test"),
        "held_out": held,
        "n": len(out),
        "crop": f"centre {size} px"
        if task != "srgan"
        else f"whole stored images, border {tr.scale}",
        "fidelity": fidelity,
        "features": feats,
        "baseline": {"pix2pix": "input returned unchanged", "srgan": "bicubic upscaling"}.get(
            task, "inputs untranslated"
        ),
        "skipped": skipped,
        "seed": seed,
        "checkpoint": str(tr.checkpoint),
        "images_seen": tr.images_seen,
        "notes": notes,
    }
    return {"metrics": metrics, "protocol": protocol}


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


def check_i2i_options(args: argparse.Namespace) -> None:
    """``ganforge eval`` with an image-to-image option but no image-to-image run: one-line error."""
    given = [
        flag
        for flag, key in (
            ("--direction", "direction"),
            ("--fidelity-channels", "fidelity_channels"),
        )
        if getattr(args, key, None)
    ]
    if given and (getattr(args, "fake", None) or not args.run or not is_i2i_run(args.run)):
        raise GanforgeError(
            f"{given[0]} is for image-to-image runs (pix2pix, CycleGAN, SRGAN); leave it out"
        )


def eval_command(args: argparse.Namespace) -> dict[str, Any]:
    """``ganforge eval RUN`` for image-to-image runs: the result dict commands/eval.py prints."""
    from ganforge.evaluation import protocol_hash
    from ganforge.inference import load_translator
    from ganforge.train.runtime import resolve_device

    for key, flag in NOISE_ONLY:
        if getattr(args, key, None) not in (None, ""):
            raise GanforgeError(
                f"{flag} does not apply to image-to-image runs: they are scored on their own "
                "data's held-out split (PSNR/SSIM, FD of the outputs, cycle error); leave it out"
            )
    device = resolve_device(args.device)
    direction = getattr(args, "direction", None)
    tr = load_translator(args.run, args.checkpoint, direction, device, ema=not args.no_ema)
    channels = getattr(args, "fidelity_channels", None) or "auto"
    fidelity_channels(tr, channels)  # a wrong choice fails before any work
    reverse = None
    if tr.cfg.model.task == "cyclegan":
        other = "BtoA" if tr.direction == "AtoB" else "AtoB"
        reverse = load_translator(args.run, args.checkpoint, other, device, ema=not args.no_ema)
    n = args.n
    if n > MAX_N:
        print(f"note: --n {n:,} capped at {MAX_N:,} examples", file=sys.stderr)
        n = MAX_N
    print(f"{tr.run_dir} | {tr.checkpoint.stem} | {tr.cfg.model.task} {tr.direction}")
    result = evaluate_run(tr, n, args.seed, args.features, args.batch or 64, reverse, channels)
    protocol = result["protocol"]
    if n < args.n:
        protocol["notes"].append(f"--n {args.n} capped at {MAX_N}")
    for note in protocol["notes"]:
        print(f"note: {note}", file=sys.stderr)
    for metric, reason in protocol["skipped"].items():
        print(f"note: {metric} skipped: {reason}", file=sys.stderr)
    protocol["hash"] = protocol_hash(protocol)
    name = f"eval-{tr.checkpoint.stem}-{tr.direction}"
    return {
        "run": str(tr.run_dir),
        "checkpoint": tr.checkpoint.name,
        "images_seen": tr.images_seen,
        **result,
        "json": args.json or tr.run_dir / "eval" / f"{name}.json",
    }
