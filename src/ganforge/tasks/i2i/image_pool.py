"""The history of generated images CycleGAN shows its discriminators: Shrivastava et al. 2017,
"Learning from Simulated and Unsupervised Images through Adversarial Training" (CVPR), section 2.3,
as used by Zhu et al. 2017 (CycleGAN), section 4: "we update the discriminators using a history of
generated images rather than the ones produced by the latest generators. We keep an image buffer
that stores the 50 previously created images."

Semantics of the reference ``ImagePool.query`` (util/image_pool.py of
https://github.com/junyanz/pytorch-CycleGAN-and-pix2pix): while the pool is filling, each new image
is stored and returned as is; once full, each new image is, with probability 1/2, returned as is,
else swapped with a random stored image, which is returned instead. The coin flips and slots come
from the pool's own CPU generator, so deciding costs no device synchronisation; the generator state
and the stored images are part of the checkpoint, so a resumed run sees the same history.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor


class ImagePool:
    def __init__(self, size: int = 50, seed: int = 0) -> None:
        self.size = size
        self.images: Tensor | None = None  # (size, C, H, W), the first ``n`` rows in use
        self.n = 0
        self.gen = torch.Generator().manual_seed(seed)

    def query(self, fakes: Tensor) -> Tensor:
        """A batch for D: ``fakes`` (B, C, H, W) with some images replaced by older ones."""
        if self.size == 0:
            return fakes
        fakes = fakes.detach()
        if self.images is None:
            self.images = fakes.new_empty((self.size, *fakes.shape[1:]))
        b = fakes.shape[0]
        swap = (torch.rand(b, generator=self.gen) > 0.5).tolist()
        slots = torch.randint(0, self.size, (b,), generator=self.gen).tolist()
        out = fakes.clone()
        for i in range(b):  # sequential on purpose: a later image may take a slot an earlier filled
            if self.n < self.size:
                self.images[self.n] = fakes[i]
                self.n += 1
            elif swap[i]:
                out[i] = self.images[slots[i]]
                self.images[slots[i]] = fakes[i]
        return out

    def state_dict(self) -> dict[str, Any]:
        images = None if self.images is None or self.n == 0 else self.images[: self.n].clone()
        return {"n": self.n, "images": images, "gen": self.gen.get_state()}

    def load_state_dict(self, state: dict[str, Any], device: torch.device) -> None:
        self.n = int(state["n"])
        self.gen.set_state(state["gen"])
        stored = state["images"]
        if stored is None:
            self.images = None
            return
        self.images = torch.empty((self.size, *stored.shape[1:]), dtype=stored.dtype, device=device)
        self.images[: self.n] = stored.to(device)
