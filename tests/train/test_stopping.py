"""train/stopping.py: Ctrl-C / SIGTERM handling, the time budget, and their agreement under
torchrun."""

import os
import signal

import pytest
import torch

from ganforge.runtime.distributed import Launch
from ganforge.train.scalars import ScalarSums
from ganforge.train.stopping import StopControl


def test_one_process_stops_at_the_first_signal_and_at_once_at_the_second():
    stops = StopControl(Launch(), None)
    restore = stops.install_handlers()
    try:
        assert not stops.stopping()
        os.kill(os.getpid(), signal.SIGTERM)
        assert stops.stopping() and stops.signal == signal.SIGTERM
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    finally:
        restore()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_the_budget_is_spent_when_the_clock_reaches_it_and_stays_spent():
    assert not StopControl(Launch(), None).out_of_time(10**9)  # no budget: never
    stops = StopControl(Launch(), 2.0)  # two minutes
    assert not stops.out_of_time(119.0) and not stops.time_spent
    assert stops.out_of_time(120.0) and stops.time_spent
    assert stops.out_of_time(0.0)  # decided once


def test_under_torchrun_the_ranks_agree_only_at_sync_points(monkeypatch):
    from ganforge.runtime import distributed

    # Two ranks, as this one sees them: the all_reduce returns what this rank sent.
    monkeypatch.setattr(distributed, "all_reduce_sum", lambda launch, x: x)
    stops = StopControl(Launch(world_size=2), 1.0)
    stops.signal = signal.SIGINT
    assert not stops.stopping() and not stops.out_of_time(100.0)  # not until a sync point
    stops.sync(64, 100.0, ScalarSums(), torch.device("cpu"))
    assert stops.stopping() and stops.out_of_time(0.0)
    stops.sync(64, 0.0, ScalarSums(), torch.device("cpu"))  # the same point again: no new reduce
    assert stops.time_spent
