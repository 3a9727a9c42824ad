"""Learning-rate and EMA schedules as functions of images seen."""

from __future__ import annotations

import pytest

from ganforge.train.schedules import ema_beta, lr_factor


def test_constant_linear_and_step():
    assert lr_factor("constant", 900, 1000) == 1.0
    assert lr_factor("linear", 500, 1000) == 1.0
    assert lr_factor("linear", 750, 1000) == pytest.approx(0.5)
    assert lr_factor("linear", 1000, 1000) == 0.0
    assert lr_factor("step", 499, 1000) == 1.0 and lr_factor("step", 500, 1000) == 0.1


def test_a_pretraining_phase_runs_at_full_rate_and_the_step_halves_what_follows():
    # SRGAN: 400 images of MSE pre-training, then 600 adversarial: 1e-4 until 700, then 1e-5.
    assert lr_factor("step", 300, 1000, start=400) == 1.0
    assert lr_factor("step", 699, 1000, start=400) == 1.0
    assert lr_factor("step", 700, 1000, start=400) == 0.1
    assert lr_factor("linear", 850, 1000, start=400) == pytest.approx(0.5)


def test_ema_half_life_is_in_images():
    # After halflife images, in steps of any size, the old weights keep half their weight.
    for step in (32, 64, 320):
        beta = ema_beta(step, 10**9, halflife=10_000, rampup=0)
        assert beta ** (10_000 / step) == pytest.approx(0.5)
    assert ema_beta(64, 1000, 10_000, rampup=0.05) == pytest.approx(0.5 ** (64 / 50))
    assert ema_beta(64, 1000, 0, 0.05) == 0.0


def test_set_rates_follows_the_schedule_or_the_tasks_values():
    import torch

    from ganforge.train.schedules import set_rates

    w = torch.nn.Parameter(torch.zeros(1))
    a = torch.optim.Adam([w], lr=1.0)
    b = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    base = {"A": [2e-4], "B": [0.1]}
    set_rates({"A": a, "B": b}, base, 0.5, None)
    assert a.param_groups[0]["lr"] == 1e-4 and b.param_groups[0]["lr"] == 0.05
    set_rates({"A": a, "B": b}, base, 0.5, {"lr": {"A": 3e-3}, "betas": {"A": (0.0, 0.99)}})
    assert a.param_groups[0]["lr"] == 3e-3 and a.param_groups[0]["betas"] == (0.0, 0.99)
    assert b.param_groups[0]["lr"] == 0.05  # no value of the task's: the schedule's
    a.param_groups[0]["lr"] = torch.tensor(1.0)  # as a CUDA graph holds it: filled in place
    held = a.param_groups[0]["lr"]
    set_rates({"A": a}, base, 1.0, None)
    assert a.param_groups[0]["lr"] is held and float(held) == pytest.approx(2e-4)
