"""A pool of masks drawn once per run, from which batches are served with random flips.

Why: the brush strokes of Yu et al. 2019 (``strokes.py``) cost ~10 passes over the image per
stroke segment; a batch of 64 free-form masks took 30-80 ms of one CPU core at 32 px and
125-460 ms at 64 px, a tenth to a fifth of a training step of the small CPU models (a 16-wide
gated generator's forward and backward: ~0.5 s at 32 px, ~2 s at 64 px). On a CPU a run therefore
draws a pool once (``build``: 1,024 masks in ~1 s at 32 px, ~3 s at 64 px, band 10-50 %; all
figures from a shared, busy 2-core machine) from its own seed and serves each batch from it
on the training device: random members, each flipped left-right and top-bottom at random and, for
square masks, transposed at random (the 8 symmetries of the square, which keep the share and the
free-form character), so 1,024 masks give 8,192 distinct ones. On a GPU drawing per batch is cheap
and the pool can be skipped.

The pool is a pure function of (sampler, size, band, n, seed, chunk): nothing to checkpoint.
Batches are drawn from the run's generator, which the trainer restores on resume, so resume stays
exact. A batch costs ~1 ms at 32 px, ~3 ms at 64 px (bounding boxes included).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from ganforge.masks.stats import bounding_boxes

Sampler = Callable[..., tuple[Tensor, Tensor]]
"""``(batch, size, min_share, max_share, generator) -> (mask, boxes)``: ``random_rectangles``,
``random_strokes``."""


class MaskPool:
    """``n`` masks (n, 1, H, W) bool, kept on one device; ``sample`` serves batches from them."""

    def __init__(self, masks: Tensor) -> None:
        self.masks = masks.bool()  # (N, 1, H, W)

    @classmethod
    def build(
        cls,
        sampler: Sampler,
        n: int,
        size: tuple[int, int],
        min_share: float,
        max_share: float,
        seed: int,
        device: torch.device | str = "cpu",
        chunk: int = 256,
    ) -> MaskPool:
        """Draw ``n`` masks with ``sampler`` on the CPU from ``seed`` (the same pool on every
        machine), ``chunk`` at a time, and keep them on ``device``."""
        gen = torch.Generator().manual_seed(seed)
        parts = [
            sampler(min(chunk, n - i), size, min_share, max_share, gen)[0].bool()
            for i in range(0, n, chunk)
        ]
        return cls(torch.cat(parts).to(device))

    def __len__(self) -> int:
        return self.masks.shape[0]

    def sample(self, batch: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """``batch`` masks (batch, 1, H, W) float32 and their bounding boxes (batch, 4) int64 on
        the pool's device; ``generator`` must live there too."""
        dev = self.masks.device
        idx = torch.randint(len(self), (batch,), generator=generator, device=dev)
        m = self.masks[idx]  # (B, 1, H, W)
        # Three coin flips per sample, drawn whatever the shape, so the stream does not depend on it.
        f = (torch.rand(batch, 3, generator=generator, device=dev) < 0.5).view(batch, 3, 1, 1, 1)
        m = torch.where(f[:, 0], m.flip(-1), m)
        m = torch.where(f[:, 1], m.flip(-2), m)
        if m.shape[-1] == m.shape[-2]:
            m = torch.where(f[:, 2], m.transpose(-1, -2), m)
        return m.float(), bounding_boxes(m)
