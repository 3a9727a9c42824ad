"""Vector arithmetic on latents: DCGAN (Radford, Metz & Chintala 2016), section 6.3.2, figure 7.

"Smiling woman - neutral woman + neutral man = smiling man": single samples are too noisy, so each
concept is the mean latent of a few exemplars (three in the paper), and

    z = mean(Z_a) - mean(Z_b) + mean(Z_c).

The paper shows the result next to eight neighbours made by adding uniform noise of scale +-0.25
to it, which tells a robust direction from a lucky sample. The figure here has one row per concept
(its exemplars, then the image of their mean latent) and a last row with the result and its
neighbours.

For a class-conditional generator the class is part of the input, so it takes part in the
arithmetic: each exemplar is drawn with its own class (the image the sheet shows for it), a mean
with the mean of its exemplars' one-hot classes, and the result with
mean onehot(y_a) - mean onehot(y_b) + mean onehot(y_c) (see ``classes.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from ganforge.explore.classes import generate_mixed, one_hot
from ganforge.explore.figure import auto_scale, compose
from ganforge.explore.latents import uniforms
from ganforge.explore.sample import generate
from ganforge.explore.sheet import class_name
from ganforge.images import to_uint8

NOISE_SCALE = 0.25
"""Half-width of the uniform noise that makes the neighbours (DCGAN, figure 7 caption)."""
_NOISE_STREAM = 0x6E6F697365  # "noise": keeps the noise apart from the latents of samples 0..n-1


def combine(a: Tensor, b: Tensor, c: Tensor) -> Tensor:
    """(ka, d), (kb, d), (kc, d) exemplar latents -> (d,) mean(a) - mean(b) + mean(c)."""
    return a.mean(0) - b.mean(0) + c.mean(0)


def neighbours(z: Tensor, n: int, scale: float = NOISE_SCALE, seed: int = 0) -> Tensor:
    """(d,) -> (n, d): z plus uniform noise in [-scale, scale], reproducible by ``seed``.

    The noise has its own stream: drawn from ``seed`` itself it would be a rescaled copy of the
    latents of samples 0..n-1, i.e. the same directions as those sheet samples.
    """
    u = uniforms(seed ^ _NOISE_STREAM, range(n), z.shape[0]).to(z.dtype)  # (n, d) in (0, 1)
    return z + (2 * u - 1) * scale


@dataclass
class ArithmeticResult:
    z: Tensor
    """(d,) the result latent."""
    images: Tensor
    """(1 + n, C, H, W) uint8: G(z), then the neighbours."""
    exemplars: list[Tensor]
    """Three (k, C, H, W) uint8: the exemplars of a, b and c as drawn in the figure."""
    means: Tensor
    """(3, C, H, W) uint8: the images of the three mean latents."""
    figure: np.ndarray
    """(H, W, C) uint8: exemplar rows a, b, c and the result row."""


def arithmetic(
    G: nn.Module,
    a: Tensor,
    b: Tensor,
    c: Tensor,
    labels: tuple[Tensor, Tensor, Tensor] | None = None,
    num_classes: int = 0,
    n_neighbours: int = 8,
    noise: float = NOISE_SCALE,
    seed: int = 0,
    names: tuple[list[str], list[str], list[str]] | None = None,
    class_names: list[str] | None = None,
) -> ArithmeticResult:
    """Compute a - b + c and draw the figure.

    ``labels``: the (k,) classes of each concept's exemplars, for a conditional generator with
    ``num_classes`` classes; the means and the result get the matching class mixtures.
    """
    z = combine(a, b, c)
    concepts = [a, b, c]
    means = torch.stack([v.mean(0) for v in concepts])  # (3, d)
    near = neighbours(z, n_neighbours, noise, seed)  # (n, d)
    everything = torch.cat([*concepts, means, z[None], near])  # one batch through G
    if labels is None:
        images = to_uint8(generate(G, everything))  # (N, C, H, W)
    else:
        w_ex = [one_hot(y, num_classes) for y in labels]  # 3 x (k, K)
        w_means = torch.stack([w.mean(0) for w in w_ex])  # (3, K)
        w_result = combine(*w_ex)  # (K,) the same arithmetic on the classes
        w_near = w_result.expand(1 + n_neighbours, -1)  # (1 + n, K)
        images = to_uint8(generate_mixed(G, everything, torch.cat([*w_ex, w_means, w_near])))

    sizes = [len(v) for v in concepts]
    ex = list(torch.split(images[: sum(sizes)], sizes))
    mean_img = images[sum(sizes) : sum(sizes) + 3]
    result = images[sum(sizes) + 3 :]  # the result, then its neighbours
    rows, captions = [], []
    for k in range(3):
        gap = [None] * (max(sizes) - sizes[k] + 1)  # the means line up in one column
        rows.append([*ex[k], *gap, mean_img[k]])
        names_k = list(names[k]) if names else [""] * sizes[k]
        if labels is not None:  # the class is part of what an exemplar is
            names_k = [
                f"{n}\n{class_name(int(y), class_names or [])}" for n, y in zip(names_k, labels[k])
            ]
        captions.append([*names_k, *[""] * len(gap), "mean"])
    rows.append([result[0], None, *result[1:]])
    captions.append(["result", "", *(["neighbours"] if n_neighbours else []), *[""] * n_neighbours])
    labels_txt = ["a", "- b", "+ c", "= a - b + c"]
    figure = compose(
        rows, row_labels=labels_txt, captions=captions, scale=auto_scale(images.shape[-1])
    )
    return ArithmeticResult(z, result, ex, mean_img, figure)
