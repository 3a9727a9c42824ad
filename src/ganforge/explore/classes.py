"""Class inputs as mixtures: walks and arithmetic that move a conditional generator's class too.

A conditional generator reads its class only through embedding tables: the label embedding
concatenated to z (Mirza & Osindero 2014, "Conditional Generative Adversarial Nets") or the
per-class gains and biases of conditional batch norm (de Vries et al. 2017; Dumoulin et al. 2017;
Miyato & Koyama 2018). A lookup is a product with a one-hot vector, E[y] = onehot(y) E, so any
weight vector w over the classes gives an input w E the generator can read:

    walk from class a to b:      w(t) = (1 - t) onehot(a) + t onehot(b)
    arithmetic on exemplars:     w = mean onehot(y_a) - mean onehot(y_b) + mean onehot(y_c)

the same linear moves the latents make (BigGAN, Brock et al. 2019, interpolates its shared class
embedding in the same way). A one-hot w gives exactly the table row, so sample i drawn with
mixtures is the sample i drawn with its hard label.

The mixing is done by forward hooks on the generator's ``nn.Embedding`` modules, so every
architecture that conditions through embeddings is covered and the model is never edited.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganforge.errors import GanforgeError
from ganforge.explore.sample import generate, model_device


def one_hot(y: Tensor, num_classes: int) -> Tensor:
    """(N,) int64 -> (N, K) float32 class weights."""
    return F.one_hot(y, num_classes).float()


def is_one_hot(w: Tensor) -> bool:
    """True when every row of (N, K) weights is a plain class (a single 1, zeros elsewhere)."""
    return bool(((w == 0) | (w == 1)).all() and (w.sum(1) == 1).all())


def _embeddings(G: nn.Module) -> list[nn.Embedding]:
    found = [m for m in G.modules() if isinstance(m, nn.Embedding)]
    if not found:
        raise GanforgeError(
            f"{type(G).__name__} has no class embedding: class mixtures need a generator "
            "conditioned through nn.Embedding"
        )
    return found


@contextlib.contextmanager
def mixed(G: nn.Module, w: Tensor) -> Iterator[None]:
    """Run ``G`` with every class-embedding lookup replaced by ``w @ table`` ((B, K) weights)."""

    def hook(module: nn.Module, inputs: tuple, output: Tensor) -> Tensor:
        table = module.weight  # (K, E); F.embedding's table, parametrised or not
        return w.to(table.device, table.dtype) @ table  # (B, E), a lookup when w is one-hot

    handles = [m.register_forward_hook(hook) for m in _embeddings(G)]
    try:
        yield
    finally:
        for h in handles:
            h.remove()


@torch.no_grad()
def generate_mixed(G: nn.Module, z: Tensor, w: Tensor, batch_size: int = 256) -> Tensor:
    """G(z, w) for (N, z_dim) latents and (N, K) class weights -> (N, C, H, W) on the CPU.

    Rows that are all one-hot take the plain path, so they match ``generate`` bit for bit.
    """
    if is_one_hot(w):
        return generate(G, z, w.argmax(1), batch_size)
    dev, outs = model_device(G), []
    for i in range(0, z.shape[0], batch_size):
        wb = w[i : i + batch_size]
        y = wb.argmax(1).to(dev)  # any valid index: the hooks replace what it looks up
        with mixed(G, wb):
            outs.append(G(z[i : i + batch_size].to(dev), y).float().cpu())
    return torch.cat(outs)
