"""Sampling a trained generator: seeded inputs in, images (or 2-D points) out, saved three ways.

The generator is the run's EMA copy by default (Karras et al. 2018, "Progressive Growing of GANs",
section 4: the averaged weights give better samples than the last ones). Sample i of seed s is
reproducible on its own (see ``latents.py``), so a grid of 64 and a set of 10,000 drawn with the
same seed share their first 64 images.

Outputs: ``.png`` (one grid), ``.npz`` (``images`` (N, H, W, C) uint8, ``z``, ``y``, ``index``,
``seed``) or a folder of ``<index>.png`` files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from ganforge.errors import GanforgeError
from ganforge.explore import latents as L
from ganforge.explore import outputs
from ganforge.images import save_grid, to_uint8


@dataclass
class Samples:
    """What was drawn: inputs and outputs row by row."""

    index: Tensor
    """(N,) sample indices of ``seed``."""
    z: Tensor
    """(N, z_dim) latents."""
    y: Tensor | None
    """(N,) class labels, None for unconditional generators."""
    images: Tensor
    """(N, C, H, W) float in [-1, 1] on the CPU, or (N, 2) points for toy generators."""
    seed: int
    text: list[str] | None = None
    """(N,) the caption of each sample, for a text-to-image run (``y`` then holds token ids)."""


def model_device(G: nn.Module) -> torch.device:
    return next(G.parameters()).device


@torch.no_grad()
def generate(G: nn.Module, z: Tensor, y: Tensor | None = None, batch_size: int = 256) -> Tensor:
    """G(z, y) in batches -> float32 on the CPU (the whole set never sits on the device)."""
    dev = model_device(G)
    outs = [
        G(z[i : i + batch_size].to(dev), None if y is None else y[i : i + batch_size].to(dev))
        .float()
        .cpu()
        for i in range(0, z.shape[0], batch_size)
    ]
    return torch.cat(outs)


def draw(
    G: nn.Module,
    n: int,
    seed: int = 0,
    start: int = 0,
    truncation: float | None = None,
    num_classes: int = 0,
    label: int | None = None,
    batch_size: int = 256,
    condition: Tensor | None = None,
) -> Samples:
    """Samples ``start .. start+n-1`` of ``seed``. ``condition`` (n, ...): what G takes beside z
    for each sample when it is not a class label (a text-to-image run's token ids)."""
    if n < 1:
        raise GanforgeError(f"--n {n} must be at least 1")
    if start < 0:
        raise GanforgeError(f"--start {start} must not be negative")
    if batch_size < 1:
        raise GanforgeError(f"--batch-size {batch_size} must be at least 1")
    L.check_index(start + n - 1, "--start + --n - 1 (the last sample index)")
    index = torch.arange(start, start + n)
    z = L.latents(seed, index, int(G.z_dim), truncation)  # (N, z_dim)
    y = L.labels(index, num_classes, label) if condition is None else condition
    return Samples(index, z, y, generate(G, z, y, batch_size), seed)


def is_image(samples: Samples) -> bool:
    return samples.images.dim() == 4


def check_destination(out: str | Path, images: bool = True) -> str:
    """Validate ``out`` before any sampling -> "grid", "npz" or "folder"."""
    out = Path(out)
    suffix = out.suffix.lower()
    if not images and suffix != ".npz":
        raise GanforgeError(f"{out}: a toy run makes 2-D points, not images: use --out samples.npz")
    if suffix in (".png", ".npz"):
        outputs.check_output(out, (suffix,))
        return "grid" if suffix == ".png" else "npz"
    if suffix:
        raise GanforgeError(f"--out {out}: use a .png grid, a .npz file or a folder name")
    outputs.check_output_folder(out)
    return "folder"


def save(samples: Samples, out: str | Path) -> Path:
    """Write to ``out``: a grid for ``.png``, arrays for ``.npz``, else a folder of PNGs."""
    out = Path(out)
    kind = check_destination(out, is_image(samples))
    if kind == "grid":
        save_grid(out, to_uint8(samples.images))
    elif kind == "npz":
        data = to_uint8(samples.images).permute(0, 2, 3, 1) if is_image(samples) else samples.images
        no_labels = torch.empty(0, dtype=torch.long)
        outputs.save_npz(
            out,
            images=data.numpy(),  # (N, H, W, C) uint8, or (N, 2) float points
            z=samples.z.numpy(),
            y=(samples.y if samples.y is not None else no_labels).numpy(),
            index=samples.index.numpy(),
            seed=np.int64(samples.seed),
            **({"text": np.array(samples.text)} if samples.text is not None else {}),
        )
    else:
        width = max(6, len(str(int(samples.index.max()))))
        names = [f"{int(i):0{width}d}" for i in samples.index]
        extra = None
        if samples.text is not None:  # which caption each file followed
            lines = "".join(f"{n}.png\t{t}\n" for n, t in zip(names, samples.text))
            extra = {"captions.tsv": lines.encode("utf-8")}
        pixels = to_uint8(samples.images).permute(0, 2, 3, 1).numpy()
        outputs.save_png_folder(out, pixels, names, extra)
    return out
