"""The adaptive augmentation probability p of ADA, driven by the overfitting heuristic r_t.

Karras et al. 2020, "Training Generative Adversarial Networks with Limited Data" (arXiv 2006.06676),
section 3: r_t = E[sign(D_train)], the mean sign of D's raw outputs on the real training images,
is near 0 while D generalises and near 1 when it overfits. Every ``interval`` D steps (4 in the
paper) p moves by sign(r_t - target) * N / (ada_kimg * 1000), N the real images seen in the
interval, so p can go from 0 to 1 in ``ada_kimg`` thousand images (500 in the paper); target 0.6.
Official code: NVlabs/stylegan2-ada-pytorch, training/training_loop.py (``ada_stats``, ``adjust``).
Unlike the reference, which only clamps at 0, p is clamped to [0, 1] (a probability).

Host synchronisation: the sum of sign(D(x_real)) stays a device tensor; the host reads it once per
interval, only when p is adaptive and about to move. r_t for the log is updated on the device.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor


class AdaptiveP:
    """ADA's probability p (a host float and a 0-dim float32 device tensor) and its controller.

    ``reduce``: under data parallelism, a function that sums a (2,) device tensor
    [sum of signs, image count] over the processes (e.g. an all-reduce); then every process sees
    the same r_t and keeps the same p. ``adaptive=False`` keeps p fixed at ``p`` while r_t is still
    tracked for the log.
    """

    def __init__(
        self,
        target: float = 0.6,
        kimg: float = 500.0,
        interval: int = 4,
        p: float = 0.0,
        adaptive: bool = True,
        device: torch.device | str = "cpu",
        reduce: Callable[[Tensor], Tensor] | None = None,
    ) -> None:
        self.target, self.kimg, self.interval = float(target), float(kimg), int(interval)
        self.adaptive, self.reduce = adaptive, reduce
        self.device = torch.device(device)
        self._p = min(max(float(p), 0.0), 1.0)
        self._p_tensor = torch.full((), self._p, device=self.device)  # what the augment call reads
        self._signs = torch.zeros((), device=self.device)  # sum over the interval of E_pixels[sign]
        self._count = 0  # real images in the interval (known on the host: shapes)
        self._calls = 0  # observe() calls in the interval
        self._rt = torch.zeros((), device=self.device)  # r_t of the last finished interval

    @property
    def p(self) -> float:
        """The current probability (host copy; changes only at adjustments)."""
        return self._p

    @property
    def p_tensor(self) -> Tensor:
        """The current probability as a 0-dim float32 device tensor (no host sync to use it)."""
        return self._p_tensor

    @property
    def rt(self) -> Tensor:
        """r_t = E[sign(D(x_real))] of the last finished interval; 0-dim device tensor, 0 before."""
        return self._rt

    def set_p(self, p: float) -> None:
        """Set p from outside (a fixed schedule, e.g. R3GAN's burn-in); only when not adaptive."""
        if self.adaptive:
            raise ValueError("an adaptive p follows r_t; set augment.ada_adaptive=false to set it")
        self._p = min(max(float(p), 0.0), 1.0)
        self._p_tensor.fill_(self._p)

    def observe(self, real_logits: Tensor) -> bool:
        """Accumulate sign(D(x_real)) of one D step; at the interval's end update r_t (and p).

        ``real_logits``: (B,) or (B, ...) raw D outputs (patch outputs are averaged per image).
        Returns True when this call ended an interval. Reads the device only then, and only when
        p is adaptive.
        """
        b = real_logits.shape[0]
        per_image = torch.sign(real_logits.detach().float()).reshape(b, -1).mean(dim=1)  # (B,)
        self._signs.add_(per_image.sum())
        self._count += b
        self._calls += 1
        if self._calls < self.interval:
            return False
        stats = torch.stack([self._signs, torch.full_like(self._signs, self._count)])  # (2,)
        if self.reduce is not None:
            stats = self.reduce(stats)
        self._rt.copy_(stats[0] / stats[1].clamp_min(1))
        if self.adaptive:
            total, count = stats.tolist()  # the one host read per interval
            rt = total / max(count, 1.0)
            step = ((rt > self.target) - (rt < self.target)) * count / (self.kimg * 1000)
            self._p = min(max(self._p + step, 0.0), 1.0)
            self._p_tensor.fill_(self._p)
        self._signs.zero_()
        self._count = self._calls = 0
        return True

    def state_dict(self) -> dict[str, Any]:
        """Plain numbers and CPU tensors: p, the unfinished interval's accumulator, the last r_t."""
        return {
            "p": self._p,
            "signs": self._signs.detach().cpu().clone(),
            "count": self._count,
            "calls": self._calls,
            "rt": self._rt.detach().cpu().clone(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore ``state_dict()``'s values (tensors moved to this controller's device).

        A fixed p (``adaptive=False``) keeps the value it was built with: the configuration, not the
        checkpoint, says what a fixed p is.
        """
        if self.adaptive:
            self._p = min(max(float(state["p"]), 0.0), 1.0)
            self._p_tensor.fill_(self._p)
        self._signs.copy_(torch.as_tensor(state["signs"]))
        self._count = int(state["count"])
        self._calls = int(state["calls"])
        self._rt.copy_(torch.as_tensor(state["rt"]))
