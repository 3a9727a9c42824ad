"""When a run stops before ``train.images``: Ctrl-C / SIGTERM, and the ``train.minutes`` budget.

A first Ctrl-C (or SIGTERM) asks the run to stop: the iteration in progress finishes, a checkpoint
is written, the run is marked interrupted. A second one stops at once. ``train.minutes`` ends the
run cleanly when the training clock (kept across resumes) reaches it: the last iteration's rows,
grid and checkpoint are written as at the end of ``train.images``.

Under torchrun each rank sees its own signal and its own clock, but all must stop at the same
iteration: the flags travel in the all_reduce that averages the log sums at log and checkpoint
steps (train/scalars.py), and a rank acts on them only then. One process acts at once.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Any

import torch

from ganforge.runtime import distributed
from ganforge.train.scalars import ScalarSums


class StopControl:
    """The stop requests and time budget of one run (the Trainer holds one)."""

    def __init__(self, launch: distributed.Launch, minutes: float | None) -> None:
        self.launch = launch
        self.minutes = minutes
        self.signal: int | None = None
        """The signal that asked this process to stop, if any."""
        self._agreed = False  # under torchrun: some rank asked, seen at a sync point
        self.time_spent = False
        """``train.minutes`` reached (under torchrun: agreed at a sync point)."""
        self._synced_at = -1

    def _over(self, wall_time: float) -> bool:
        return self.minutes is not None and wall_time >= 60 * self.minutes

    def sync(self, images_seen: int, wall_time: float, scalars: ScalarSums, device: torch.device):
        """Under torchrun, at log and checkpoint steps only: average the summed scalars over the
        ranks and agree on stopping, in one all_reduce. A NaN on any rank reaches every rank's
        sums, so all take the same decision; a Ctrl-C takes effect at the next of these points."""
        if not self.launch.distributed or self._synced_at == images_seen:
            return
        self._synced_at = images_seen
        flags = [self.signal is not None, self._over(wall_time)]
        self._agreed, spent = scalars.all_reduce(self.launch, flags, device)
        self.time_spent = self.time_spent or spent

    def stopping(self) -> bool:
        """One process: as soon as a signal came. Under torchrun: once the ranks agreed."""
        if self.launch.distributed:
            return self._agreed
        return self.signal is not None

    def out_of_time(self, wall_time: float) -> bool:
        """True once the training clock reached ``train.minutes`` (one process: now; under
        torchrun: as agreed at the last sync point)."""
        if not self.launch.distributed:
            self.time_spent = self.time_spent or self._over(wall_time)
        return self.time_spent

    def install_handlers(self) -> Callable[[], Any]:
        """First Ctrl-C / SIGTERM: finish the iteration, checkpoint, stop. Second: stop at once.
        Returns the function that puts the previous handlers back."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        self.signal = None

        def request_stop(signum: int, frame: Any) -> None:
            if self.signal is not None:
                raise KeyboardInterrupt
            self.signal = signum

        old = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
        return lambda: [signal.signal(s, h) for s, h in old.items()]
