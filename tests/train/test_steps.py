"""train/steps.py: how many batches an iteration draws, the metrics.csv columns, one update of a
phase (freezing, skipping, the gradient norm), and the iteration's scalars."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.tasks.base import Phase, PhaseLoss
from ganforge.train.steps import fresh_batches, log_columns, measured_norm
from helpers import toy_trainer


def _phase(name="D", repeats=1, fresh=True):
    return Phase(name, name, lambda *a: None, repeats=repeats, fresh_batch=fresh)


def test_fresh_batches_follow_the_phases():
    assert fresh_batches([_phase("D", 5), _phase("G", fresh=False)]) == 5  # WGAN: n_critic 5
    assert fresh_batches([_phase("D"), _phase("G", fresh=False)]) == 1
    assert fresh_batches([_phase("G", fresh=False)]) == 1  # a first phase must draw one
    assert fresh_batches([_phase("A", 2), _phase("B", 3)]) == 5
    with pytest.raises(GanforgeError, match="at least one phase"):
        fresh_batches([])


def test_columns_keep_the_order_the_tasks_have_always_written(tmp_path):
    t = toy_trainer(tmp_path)
    cols = log_columns(t.task)
    assert cols[:2] == ["images", "iterations"] and cols[-2:] == ["img_per_s", "wall_s"]
    assert cols.index("lr_g") < cols.index("lr_d") < cols.index("img_per_s")


def test_measured_norm_is_the_norm_of_every_gradient():
    a, b = torch.nn.Parameter(torch.zeros(3)), torch.nn.Parameter(torch.zeros(2))
    a.grad, b.grad = torch.tensor([3.0, 0.0, 0.0]), torch.tensor([0.0, 4.0])
    opt = torch.optim.SGD([a, b], lr=0.1)
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    assert float(measured_norm([a, b], scaler, opt)) == pytest.approx(5.0)
    assert float(measured_norm([torch.nn.Parameter(torch.zeros(1))], scaler, opt)) == 0.0


def test_a_step_freezes_only_during_the_loss_and_a_none_loss_skips_the_update(tmp_path):
    t = toy_trainer(tmp_path)
    d_phase, g_phase = t.phases
    seen = {}

    def g_loss(batch, gen, measure, carry):
        seen["d_frozen"] = not any(p.requires_grad for p in t.task.D.parameters())
        return g_phase.loss(batch, gen, measure, carry)

    batch = t.task.make_batch(t.task.draw(), t.gen)
    out, carry = t.steps.step(dataclasses.replace(g_phase, loss=g_loss), batch, t.gen, True)
    assert seen["d_frozen"] and all(p.requires_grad for p in t.task.D.parameters())
    assert set(out) == {"g_loss", "g_grad_norm"} and carry is None
    before = [p.clone() for p in t.task.D.parameters()]
    skipped = dataclasses.replace(d_phase, loss=lambda *a: None)
    assert t.steps.step(skipped, batch, t.gen, True, carry="dropped") == ({}, None)
    assert all(torch.equal(a, b) for a, b in zip(before, t.task.D.parameters()))


def test_an_iteration_sums_repeated_phases_and_counts_them(tmp_path):
    t = toy_trainer(tmp_path, **{"train.n_critic": 3})
    calls, d_losses = [], []

    def counted(phase):
        def loss(batch, gen, measure, carry):
            calls.append((phase.name, carry))
            # The GAN task carries nothing with n_critic > 1: its own losses get None.
            result: PhaseLoss = phase.loss(batch, gen, measure, None)
            if phase.name == "D":
                d_losses.append(float(result.scalars["d_loss"]))
                result = dataclasses.replace(result, carry=len(calls))  # what it hands on
            return result

        return dataclasses.replace(phase, loss=loss)

    t.steps.phases[:] = [counted(p) for p in t.steps.phases]
    out, counts = t.steps.iteration(t.steps.draws(), t.gen, t.ema, 0.5, measure=False)
    # Each update gets what the one before it carried: nothing for the first.
    assert calls == [("D", None), ("D", 1), ("D", 2), ("G", 3)]
    assert counts["d_loss"] == 3 and counts["g_loss"] == 1
    assert float(out["d_loss"]) == pytest.approx(sum(d_losses), rel=1e-5)  # summed, not the last
