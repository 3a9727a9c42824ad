"""Score an image-to-image run on held-out data: what ``ganforge eval RUN`` reports for pix2pix,
CycleGAN and SRGAN runs, and what ``benchmarks/i2i_quality.py`` records.

Protocol (written into every result):

- **Data.** The run's data source with ``data.split=test`` (pix2pix: ``test/`` or ``val/``; CycleGAN:
  ``testA/``, ``testB/``; the demos: the Fashion-MNIST test split), the first ``n`` examples,
  centre crops of ``data.resolution`` (SR: the whole stored image as HR, cropped to a multiple of
  the scale, its LR the same bicubic downscale as in training). When a source has no test split
  the training data are used, and ``held_out`` says so.
- **Paired fidelity** (pix2pix, SRGAN): PSNR and SSIM (``metrics/psnr_ssim.py``) of the uint8
  outputs against the targets, with the trivial baseline beside them: the input returned unchanged
  (pix2pix), plain bicubic upscaling (SRGAN). SR crops ``scale`` border pixels, as SR papers do.
- **Distribution** (all): the Frechet distance between features of the outputs and of the target
  domain (FD-FMNIST on grey images with the Fashion-MNIST network, FID with ``features=inception``),
  beside the same distance for the untranslated inputs ("do nothing").
- **CycleGAN**: the cycle reconstruction error, mean |F(G(a)) - a| / 255 (and |G(F(b)) - b|); on
  the sneakers2boots demo, the fraction of translated images the Fashion-MNIST classifier assigns
  to the target class (and of the inputs, the baseline).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch
from torch import Tensor

from ganforge.data.domains import apply_crops, center_plan
from ganforge.data.loader import to_model_range
from ganforge.errors import GanforgeError
from ganforge.images import to_uint8
from ganforge.inference import Translator, translate_tensor
from ganforge.metrics import psnr_ssim as Q


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


def _fd(fake: Tensor, real: Tensor, extractor: Any, seed: int) -> float | None:
    from ganforge.metrics.registry import evaluate

    n = min(len(fake), len(real))
    if n <= extractor.feature_dim:
        return None  # a covariance of rank < dim: the distance would mostly measure the count
    res = evaluate(fake, real, ["fid"], extractor=extractor, n=n, seed=seed)
    return float(next(v for k, v in res.items() if k != "protocol"))


def evaluate_run(
    tr: Translator,
    n: int = 1000,
    seed: int = 0,
    features: str = "auto",
    batch: int = 64,
    reverse: Translator | None = None,
) -> dict[str, Any]:
    """Scores of ``tr`` on held-out data -> {"metrics": {...}, "protocol": {...}}.

    ``reverse`` is the other generator of a CycleGAN run (for the cycle error); ``features``:
    auto (fmnist for grey runs, none for colour), fmnist, inception or none.
    """
    cfg, task = tr.cfg, tr.cfg.model.task
    data, held, notes = _held_out(tr)
    size = cfg.data.resolution
    forward = tr.direction == cfg.i2i.direction
    metrics: dict[str, Any] = {}
    if task == "srgan":
        from ganforge.data.sr import bicubic_upscale, downscale

        s = tr.scale
        hr = data.images[:n]
        side = hr.shape[-1] - hr.shape[-1] % s
        hr = hr[..., :side, :side]
        lr = to_uint8(downscale(to_model_range(hr), s))
        out = _batched(tr, lr, batch)
        base = to_uint8(bicubic_upscale(to_model_range(lr), s))
        metrics.update(_fidelity(out, hr, base, s, "bicubic"))
        inputs, targets, target_domain = base, hr, hr
    else:
        a, b = data.sources, data.images
        if not forward:
            a, b = b, a
        x = _center(a, n, size)
        out = _batched(tr, x, batch)
        target_domain = _center(b, n, size)
        inputs, targets = x, target_domain
        if task == "pix2pix":
            metrics.update(_fidelity(out, target_domain, x, 0, "input"))
        if reverse is not None:
            rec = _batched(reverse, out, batch)
            metrics["cycle_error"] = float(Q.mae(rec, x).mean())
            back = _batched(reverse, target_domain, batch)
            metrics["cycle_error_reverse"] = float(
                Q.mae(_batched(tr, back, batch), target_domain).mean()
            )
    feats = features if features != "auto" else ("fmnist" if cfg.data.channels == 1 else "none")
    if feats != "none":
        from ganforge.metrics.features import load_extractor

        ext = load_extractor(feats)
        name = "fid" if feats == "inception" else f"fd_{feats}"
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
        "fidelity": {k: Q.PROTOCOL[k] for k in ("psnr", "ssim", "mae")},
        "features": feats,
        "baseline": {"pix2pix": "input returned unchanged", "srgan": "bicubic upscaling"}.get(
            task, "inputs untranslated"
        ),
        "seed": seed,
        "checkpoint": str(tr.checkpoint),
        "images_seen": tr.images_seen,
        "notes": notes,
    }
    return {"metrics": metrics, "protocol": protocol}


def _fidelity(out: Tensor, target: Tensor, baseline: Tensor, crop: int, name: str) -> dict:
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


def is_i2i_run(run: str) -> bool:
    """True for a pix2pix / CycleGAN / SRGAN run folder (or a checkpoint in one)."""
    from ganforge.inference import open_run_config

    try:
        return open_run_config(run)[2].model.task != "gan"
    except GanforgeError:
        return False  # not a readable run: the GAN path reports the problem


def eval_command(args: Any) -> dict[str, Any]:
    """``ganforge eval RUN`` for image-to-image runs: the result dict commands/eval.py prints."""
    from ganforge.evaluation import protocol_hash
    from ganforge.inference import load_translator
    from ganforge.train.runtime import resolve_device

    device = resolve_device(args.device)
    tr = load_translator(args.run, args.checkpoint, device=device, ema=not args.no_ema)
    reverse = None
    if tr.cfg.model.task == "cyclegan":
        other = "BtoA" if tr.direction == "AtoB" else "AtoB"
        reverse = load_translator(args.run, args.checkpoint, other, device, ema=not args.no_ema)
    n = min(args.n, 10_000)
    print(f"{tr.run_dir} | {tr.checkpoint.stem} | {tr.cfg.model.task} {tr.direction}")
    result = evaluate_run(tr, n, args.seed, args.features, args.batch or 64, reverse)
    result["protocol"]["hash"] = protocol_hash(result["protocol"])
    name = f"eval-{tr.checkpoint.stem}-{tr.direction}"
    return {
        "run": str(tr.run_dir),
        "checkpoint": tr.checkpoint.name,
        "images_seen": tr.images_seen,
        **result,
        "json": args.json or tr.run_dir / "eval" / f"{name}.json",
    }
