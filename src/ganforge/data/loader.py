"""Batches from an in-memory data set by index: no DataLoader, no per-sample Python.

The order is a pure function of (seed, epoch), so the whole data position is two integers, which is
what makes resume exact and cheap to store. The permutation is drawn on the CPU (the same order on
every device) and moved once per epoch to the device that holds the data: a batch's indices are
then a slice of a device tensor, with no host-to-device copy per step (a copy from pageable memory
would make the host wait for the GPU's queue every step).
"""

from __future__ import annotations

import torch
from torch import Tensor


class IndexSampler:
    """Shuffled mini-batch indices; each epoch is a fresh permutation seeded by (seed, epoch).

    A batch never straddles two epochs: the tail shorter than a batch is dropped, as
    ``DataLoader(drop_last=True)`` does, so every batch has the same shape.
    """

    def __init__(
        self, n: int, batch_size: int, seed: int = 0, device: torch.device | str = "cpu"
    ) -> None:
        if batch_size > n:
            raise ValueError(f"batch size {batch_size} is larger than the data set ({n} items)")
        self.n, self.batch_size, self.seed = n, batch_size, seed
        self.device = torch.device(device)
        self.epoch, self.cursor = 0, 0
        self._perm = self._permutation(0)

    def _permutation(self, epoch: int) -> Tensor:
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        return torch.randperm(self.n, generator=g).to(self.device)

    def next(self) -> Tensor:
        if self.cursor + self.batch_size > self.n:
            self.epoch, self.cursor = self.epoch + 1, 0
            self._perm = self._permutation(self.epoch)
        idx = self._perm[self.cursor : self.cursor + self.batch_size]
        self.cursor += self.batch_size
        return idx

    def state_dict(self) -> dict[str, int]:
        return {"epoch": self.epoch, "cursor": self.cursor, "n": self.n, "seed": self.seed}

    def load_state_dict(self, state: dict[str, int]) -> None:
        """The position of a checkpoint; its values come from a file, so each is checked."""
        if state["n"] != self.n:
            raise ValueError(f"the data set has {self.n} items, the checkpoint saw {state['n']}")
        epoch, cursor = state["epoch"], state["cursor"]
        for k, v in (("epoch", epoch), ("cursor", cursor)):
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < 2**62:
                raise ValueError(f"sampler {k}={v!r:.40} is not a count")
        if cursor > self.n:
            raise ValueError(f"sampler cursor {cursor} is past the {self.n} items")
        self.epoch, self.cursor = epoch, cursor
        self._perm = self._permutation(self.epoch)


def to_model_range(images: Tensor) -> Tensor:
    """uint8 [0, 255] -> float [-1, 1] (the Tanh range of the generators)."""
    return images.float().div_(127.5).sub_(1.0)
