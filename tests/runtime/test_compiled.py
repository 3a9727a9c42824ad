"""torch.compile twins against their eager reference, and the fallbacks when it cannot compile."""

from __future__ import annotations

import pytest
import torch

from ganforge.config import load_config
from ganforge.runtime import compiled
from ganforge.tasks import load_task_data
from ganforge.tasks.gan import GANTask
from helpers import one_iteration, toy_trainer

CPU = torch.device("cpu")


def _toy_cfg(**extra):
    over = {"model.g_hidden": [16], "model.d_hidden": [16], "runtime.progress": False, **extra}
    return load_config("toy-ring-mlp", over)


def test_compile_falls_back_when_unavailable(monkeypatch):
    monkeypatch.setattr(compiled, "compile_problem", lambda device_type: "no C++ compiler")
    cfg = _toy_cfg(**{"runtime.compile": True})
    task = GANTask(cfg, load_task_data(cfg), CPU, "fp32")
    assert task.G_fast is task.G and task.D_fast is task.D
    assert task.notes == [
        "runtime.compile: torch.compile does not work here (no C++ compiler); running eagerly"
    ]


def test_compile_failing_at_the_first_call_runs_eagerly(monkeypatch):
    def broken(module):
        def call(*args, **kwargs):
            raise torch._dynamo.exc.TorchDynamoException("inductor failed: boom")

        return call

    monkeypatch.setattr(torch, "compile", broken)
    notes: list[str] = []
    net = torch.nn.Linear(2, 1)
    twin = compiled.CompiledOrEager(net, notes.append)
    x = torch.randn(3, 2)
    assert torch.equal(twin(x), net(x)) and torch.equal(twin(x), net(x))
    assert len(notes) == 1 and "compiling Linear failed" in notes[0]


@pytest.mark.slow
def test_compiled_step_matches_eager_step(tmp_path):
    """The fast path's reference twin: one D and one G step (with R1 through the eager D)."""
    problem = compiled.compile_problem("cpu")
    if problem is not None:
        pytest.skip(f"the inductor toolchain is missing here: {problem}")
    states = []
    for compile_on in (False, True):
        trainer = toy_trainer(tmp_path / str(compile_on), **{"runtime.compile": compile_on})
        task = trainer.task
        if compile_on:
            assert isinstance(task.D_fast, compiled.CompiledOrEager)
        out = one_iteration(trainer)
        grads = {f"{n}.{k}": p.grad for n, m in task.nets.items() for k, p in m.named_parameters()}
        weights = {
            f"{n}.{k}": p.detach() for n, m in task.nets.items() for k, p in m.named_parameters()
        }
        states.append((out, grads, weights))
        assert not task.notes, task.notes  # it really compiled
    (out_e, grads_e, w_e), (out_c, grads_c, w_c) = states
    for k in out_e:
        torch.testing.assert_close(out_c[k], out_e[k], rtol=1e-5, atol=1e-6)
    for k in grads_e:
        torch.testing.assert_close(grads_c[k], grads_e[k], rtol=1e-4, atol=1e-6)
        torch.testing.assert_close(w_c[k], w_e[k], rtol=0, atol=1e-5)
