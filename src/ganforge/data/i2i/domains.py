"""Two image domains in memory, and random crops and flips cut from them a whole batch at a time.

``TwoDomainData`` is the ``ImageData`` of the image-to-image tasks: ``sources`` is domain A (what
the generator reads) and ``images`` domain B (what it should produce), both uint8 (N, C, L, L) at
``i2i.load_size``. Paired data (pix2pix) has row i of both be one example; unpaired data (CycleGAN)
has two independent sets, each with its own sampler.

Augmentation follows pix2pix/CycleGAN (Isola et al. 2017, appendix 6.2: "random jitter was
applied by resizing the 256 x 256 input images to 286 x 286 and then randomly cropping back to size
256 x 256", plus mirroring): a random ``size`` x ``size`` window of each stored image and a random
horizontal flip, the same for both halves of a pair. The crop and the flip are one gather over the
batch: no per-sample Python.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from ganforge.data.dataset import ImageData
from ganforge.data.loader import IndexSampler


@dataclass
class TwoDomainData(ImageData):
    """``images``: domain B (targets), ``sources``: domain A (inputs); both uint8 (N, C, L, L)."""

    sources: Tensor | None = None
    paired: bool = True

    def __len__(self) -> int:
        return min(len(self.images), len(self.sources))

    def _subset_extra(self, rows: list[int], pick: Tensor) -> dict[str, Any]:
        # Paired: row i of A belongs with row i of B. Unpaired: rows are B's; A is its own set.
        return {"sources": self.sources[pick]} if self.paired else {}

    def swapped(self) -> TwoDomainData:
        """The same domains the other way round (``i2i.direction=BtoA``: B is read, A made)."""
        ids = self.ids if self.paired else None  # unpaired ids name B's items only
        return dataclasses.replace(
            self, images=self.sources, sources=self.images, labels=None, num_classes=0, ids=ids
        )


@dataclass
class CropPlan:
    """Where each sample of a batch is cut: top-left corners (B,) and flips (B,) bool."""

    top: Tensor
    left: Tensor
    flip: Tensor


def plan_crops(
    n: int, load: int, size: int, hflip: bool, gen: torch.Generator, device: torch.device
) -> CropPlan:
    """Uniform corners in [0, load - size] and, with ``hflip``, a fair coin per sample."""
    top = torch.randint(0, load - size + 1, (n,), generator=gen, device=device)
    left = torch.randint(0, load - size + 1, (n,), generator=gen, device=device)
    if hflip:
        flip = torch.rand(n, generator=gen, device=device) < 0.5
    else:
        flip = torch.zeros(n, dtype=torch.bool, device=device)
    return CropPlan(top, left, flip)


def center_plan(n: int, load: int, size: int, device: torch.device) -> CropPlan:
    """The centre window, unflipped: what sample grids and evaluation use."""
    start = torch.full((n,), (load - size) // 2, dtype=torch.long, device=device)
    return CropPlan(start, start.clone(), torch.zeros(n, dtype=torch.bool, device=device))


def apply_crops(x: Tensor, plan: CropPlan, size: int) -> Tensor:
    """(B, C, L, L) -> (B, C, size, size): each sample's window, mirrored where ``plan.flip``."""
    b, c, h, w = x.shape
    if h == w == size and not bool(plan.flip.any()):
        return x
    dev = x.device
    ar = torch.arange(size, device=dev)
    rows = plan.top[:, None] + ar  # (B, S)
    cols = plan.left[:, None] + ar  # (B, S)
    cols = torch.where(plan.flip[:, None], cols.flip(1), cols)  # a mirror reads columns backwards
    bi = torch.arange(b, device=dev)[:, None, None, None]
    ci = torch.arange(c, device=dev)[None, :, None, None]
    return x[bi, ci, rows[:, None, :, None], cols[:, None, None, :]]  # (B, C, S, S)


class SamplerPair:
    """Independent index samplers for domains A and B (unpaired data); one state for checkpoints."""

    def __init__(self, n_a: int, n_b: int, batch_size: int, seed: int) -> None:
        self.a = IndexSampler(n_a, batch_size, seed)
        self.b = IndexSampler(n_b, batch_size, seed + 1)  # another order than A's

    def next(self) -> tuple[Tensor, Tensor]:
        return self.a.next(), self.b.next()

    def state_dict(self) -> dict[str, dict[str, int]]:
        return {"a": self.a.state_dict(), "b": self.b.state_dict()}

    def load_state_dict(self, state: dict[str, dict[str, int]]) -> None:
        self.a.load_state_dict(state["a"])
        self.b.load_state_dict(state["b"])
