"""train/scalars.py: per-step scalars summed on the device, read as per-step means at log steps."""

import math

import torch

from ganforge.runtime.distributed import Launch
from ganforge.train.scalars import ScalarSums


def test_means_divide_each_sum_by_the_steps_it_holds_then_start_afresh():
    acc = ScalarSums()
    acc.add({"d_loss": torch.tensor(3.0), "g_loss": torch.tensor(1.0)}, {"d_loss": 3, "g_loss": 1})
    acc.add({"d_loss": torch.tensor(6.0), "g_loss": torch.tensor(2.0)}, {"d_loss": 3, "g_loss": 1})
    acc.add({"gp": torch.tensor(0.5)}, {"gp": 1})  # a scalar logged by some steps only
    assert acc.means() == {"d_loss": 1.5, "g_loss": 1.5, "gp": 0.5}
    assert acc.means() == {} and acc.sums == {} and acc.counts == {}


def test_sums_do_not_alias_the_added_tensors():
    # A CUDA graph overwrites its output tensors on the next replay: the first value is cloned.
    acc = ScalarSums()
    out = torch.tensor(2.0)
    acc.add({"x": out}, {"x": 1})
    out.fill_(100.0)
    assert acc.means() == {"x": 2.0}


def test_non_finite_names_the_bad_scalars():
    acc = ScalarSums()
    assert acc.non_finite() == []
    acc.add({"a": torch.tensor(1.0), "b": torch.tensor(math.inf)}, {"a": 1, "b": 1})
    acc.add({"c": torch.tensor(math.nan)}, {"c": 1})
    assert acc.non_finite() == ["b", "c"]


def test_state_dict_round_trip_continues_the_same_means():
    acc = ScalarSums()
    acc.add({"d_loss": torch.tensor(4.0)}, {"d_loss": 2})
    again = ScalarSums()
    again.load_state_dict(acc.state_dict(), torch.device("cpu"))
    for s in (acc, again):
        s.add({"d_loss": torch.tensor(2.0)}, {"d_loss": 2})
    assert acc.means() == again.means() == {"d_loss": 1.5}


def test_all_reduce_in_one_process_keeps_the_sums_and_passes_the_flags():
    acc = ScalarSums()
    acc.add({"b": torch.tensor(2.0), "a": torch.tensor(6.0)}, {"a": 2, "b": 1})
    assert acc.all_reduce(Launch(), [False, True], torch.device("cpu")) == [False, True]
    assert acc.means() == {"a": 3.0, "b": 2.0}
    assert ScalarSums().all_reduce(Launch(), [True], torch.device("cpu")) == [True]
