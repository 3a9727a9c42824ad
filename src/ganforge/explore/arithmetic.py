"""Vector arithmetic on latents: DCGAN (Radford, Metz & Chintala 2016), section 6.3.2, figure 7.

"Smiling woman - neutral woman + neutral man = smiling man": single samples are too noisy, so each
concept is the mean latent of a few exemplars (three in the paper), and

    z = mean(Z_a) - mean(Z_b) + mean(Z_c).

The paper shows the result next to eight neighbours made by adding uniform noise of scale +-0.25
to it, which tells a robust direction from a lucky sample. The figure here has one row per concept
(its exemplars, then the image of their mean latent) and a last row with the result and its
neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from ganforge.explore.figure import auto_scale, compose
from ganforge.explore.latents import uniforms
from ganforge.explore.sample import generate
from ganforge.images import to_uint8

NOISE_SCALE = 0.25
"""Half-width of the uniform noise that makes the neighbours (DCGAN, figure 7 caption)."""


def combine(a: Tensor, b: Tensor, c: Tensor) -> Tensor:
    """(ka, d), (kb, d), (kc, d) exemplar latents -> (d,) mean(a) - mean(b) + mean(c)."""
    return a.mean(0) - b.mean(0) + c.mean(0)


def neighbours(z: Tensor, n: int, scale: float = NOISE_SCALE, seed: int = 0) -> Tensor:
    """(d,) -> (n, d): z plus uniform noise in [-scale, scale], reproducible by ``seed``."""
    u = uniforms(seed, range(n), z.shape[0]).to(z.dtype)  # (n, d) in (0, 1)
    return z + (2 * u - 1) * scale


@dataclass
class ArithmeticResult:
    z: Tensor
    """(d,) the result latent."""
    images: Tensor
    """(1 + n, C, H, W) uint8: G(z), then the neighbours."""
    figure: np.ndarray
    """(H, W, C) uint8: exemplar rows a, b, c and the result row."""


def arithmetic(
    G: nn.Module,
    a: Tensor,
    b: Tensor,
    c: Tensor,
    y: int | None = None,
    n_neighbours: int = 8,
    noise: float = NOISE_SCALE,
    seed: int = 0,
    names: tuple[list[str], list[str], list[str]] | None = None,
) -> ArithmeticResult:
    """Compute a - b + c and draw the figure (``y``: one class for every image, if conditional)."""
    z = combine(a, b, c)
    concepts = [a, b, c]
    means = torch.stack([v.mean(0) for v in concepts])  # (3, d)
    near = neighbours(z, n_neighbours, noise, seed)  # (n, d)
    everything = torch.cat([*concepts, means, z[None], near])  # one batch through G
    labels = None if y is None else torch.full((everything.shape[0],), y, dtype=torch.long)
    images = to_uint8(generate(G, everything, labels))  # (N, C, H, W)

    sizes = [len(v) for v in concepts]
    ex = list(torch.split(images[: sum(sizes)], sizes))
    mean_img = images[sum(sizes) : sum(sizes) + 3]
    result = images[sum(sizes) + 3 :]  # the result, then its neighbours
    rows, captions = [], []
    for k in range(3):
        gap = [None] * (max(sizes) - sizes[k] + 1)  # the means line up in one column
        rows.append([*ex[k], *gap, mean_img[k]])
        names_k = names[k] if names else [""] * sizes[k]
        captions.append([*names_k, *[""] * len(gap), "mean"])
    rows.append([result[0], None, *result[1:]])
    captions.append(["result", "", *(["neighbours"] if n_neighbours else []), *[""] * n_neighbours])
    labels_txt = ["a", "- b", "+ c", "= a - b + c"]
    figure = compose(
        rows, row_labels=labels_txt, captions=captions, scale=auto_scale(images.shape[-1])
    )
    return ArithmeticResult(z, result, figure)
