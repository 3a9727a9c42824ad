"""Score an autoencoder on held-out images: what ``ganforge eval RUN`` reports for an autoencoder
run (``model.task=autoencoder``).

Protocol (written into every result):

- **Data.** The run's data source with ``data.split=test`` (Fashion-MNIST, MNIST, CIFAR-10: their
  test splits), the first ``n`` images, prepared as in training (resized, channels, centred by
  mass when the run was trained centred). A source without a test split (a folder) is scored on
  its training images, and ``held_out`` says so (evaluation/translation.py: ``held_out``).
- **Reconstruction.** decode(encode(x)) in eval mode (no input noise, no dropout), quantised to
  uint8 like any image ganforge writes, against x: MSE on [0, 1] pixel values, PSNR (dB, R = 255)
  and SSIM (Wang et al. 2004; images of at least 11 px) per image, then the mean
  (metrics/psnr_ssim.py).
- **Baseline.** Every image replaced by the mean image of the scored set: the best constant
  output, what an autoencoder must beat to have learnt anything about the individual images.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ganforge.config import Config
from ganforge.evaluation.options import EvalOptions
from ganforge.evaluation.translation import DataLoader, held_out
from ganforge.inference.encoder import Encoder
from ganforge.metrics import psnr_ssim as Q

MAX_N = 10_000
"""Most images scored (bounds memory; the held-out splits have 10,000)."""


def mse(x: Tensor, y: Tensor) -> Tensor:
    """(N,) mean squared error per image on [0, 1] pixel values, of uint8 (N, C, H, W) images."""
    d = x.double() / 255 - y.double() / 255
    return d.pow(2).mean(dim=(1, 2, 3))


def fidelity(out: Tensor, target: Tensor) -> dict[str, float]:
    """MSE, PSNR and (images of at least the SSIM window) SSIM of uint8 ``out`` against
    ``target``, each the mean over images."""
    res = {"mse": float(mse(out, target).mean()), "psnr": float(Q.psnr(out, target).mean())}
    if min(target.shape[-2:]) >= Q.WINDOW:
        res["ssim"] = float(Q.ssim(out, target).mean())
    return res


def evaluate_autoencoder(
    model: Encoder, cfg: Config, load_data: DataLoader, run_dir: Path, options: EvalOptions
) -> dict[str, Any]:
    """{"metrics", "protocol", "name"} of ``model`` on the run's held-out images.

    ``load_data`` is the task's reader (``Task.load_data``), called with the test split.
    """
    options.refuse(
        "metrics",
        "features",
        "split",
        "real",
        "direction",
        "fidelity_channels",
        why="does not apply to autoencoder runs: they are scored on their data's held-out split "
        "(reconstruction MSE, PSNR, SSIM)",
    )
    n = min(options.n, MAX_N)
    data, held, notes = held_out(cfg, load_data, run_dir)
    if n < options.n:
        notes.append(f"--n {options.n:,} capped at {MAX_N:,}")
    images = data.images[:n]
    if len(images) < n:
        notes.append(f"{len(images)} images, fewer than n={n}: all of them were scored")
    x, recon = model.reconstruct(images, options.batch or 1024)
    metrics = fidelity(recon, x)
    mean_image = x.double().mean(0, keepdim=True).round().to(torch.uint8).expand_as(x)
    metrics.update({f"{k}_mean_image": v for k, v in fidelity(mean_image, x).items()})
    protocol = {
        "task": cfg.model.task,
        "data": cfg.data.source,
        "split": data.report.get("split", "test"),
        "held_out": held,
        "n": len(x),
        "shape": list(model.image_shape),
        "centred": model.center,
        "reconstruction": "decode(encode(x)) in eval mode (no noise, no dropout), as uint8",
        "mse": "mean squared error on [0, 1] pixel values per image, then the mean",
        "psnr": Q.PROTOCOL["psnr"],
        "ssim": Q.PROTOCOL["ssim"],
        "baseline": "*_mean_image: every image replaced by the mean image of the scored set",
        "notes": notes,
    }
    return {"metrics": metrics, "protocol": protocol, "name": "reconstruction"}
