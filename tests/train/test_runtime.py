"""One device, fast: precision choices and their fallbacks, the fp16 gradient scaler (exact resume),
and torch.compile against its eager reference twin."""

from __future__ import annotations

import pytest
import torch

from ganforge.config import load_config
from ganforge.train import compiled, runtime
from ganforge.train import trainer as trainer_module
from ganforge.train.gan_task import GANTask
from ganforge.train.trainer import Trainer
from helpers import tiny_overrides

CPU = torch.device("cpu")


def _toy_cfg(**extra):
    over = {"model.g_hidden": [16], "model.d_hidden": [16], "runtime.progress": False, **extra}
    return load_config("toy-ring-mlp", over)


def _one_iteration(task: GANTask, seed: int = 0) -> dict[str, torch.Tensor]:
    """One D step and one G step on fixed points and noise."""
    gen = torch.Generator().manual_seed(seed)
    real = torch.randn(64, 2, generator=gen)
    out = task.d_step((real, None), gen, measure=True)
    out.update(task.g_step((real, None), gen, measure=True))
    return out


# --------------------------------------------------------------------------- precision


def test_precision_choices_and_their_notes(monkeypatch):
    assert runtime.choose_precision("fp32", CPU) == ("fp32", None)
    assert runtime.choose_precision("bf16", CPU) == ("bf16", None)  # emulated where not native
    monkeypatch.setattr(runtime, "cpu_has_native_bf16", lambda: True)
    assert runtime.choose_precision("auto", CPU) == ("bf16", None)
    use, note = runtime.choose_precision("fp16", CPU)
    assert use == "bf16" and "fp16 needs CUDA" in note and "\n" not in note
    monkeypatch.setattr(runtime, "cpu_has_native_bf16", lambda: False)
    assert runtime.choose_precision("auto", CPU) == ("fp32", None)
    assert runtime.choose_precision("fp16", CPU)[0] == "fp32"
    # A GPU before Ampere: bf16 would be emulated, so fp32 with a note pointing to fp16.
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: False)
    cuda = torch.device("cuda", 0)
    use, note = runtime.choose_precision("bf16", cuda)
    assert use == "fp32" and "try fp16" in note
    assert runtime.choose_precision("fp16", cuda) == ("fp16", None)


@pytest.mark.parametrize("precision", ["fp32", "bf16", "fp16"])
def test_every_precision_gives_finite_losses(precision):
    # fp16 on CPU is what CUDA runs (float16 autocast, GradScaler); the Trainer itself never picks
    # it on CPU, but the task's scaler path is the same on both devices.
    task = GANTask(_toy_cfg(), 0, CPU, precision)
    assert task.scaler_d.is_enabled() == (precision == "fp16")
    for _ in range(3):
        out = _one_iteration(task)
    assert all(torch.isfinite(v).all() for v in out.values()), out
    assert all(torch.isfinite(p).all() for p in task.G.parameters())


def test_fp16_on_cpu_trains_with_a_note(tmp_path, tiny_data):
    cfg = load_config(
        "dcgan-fashion-mnist", tiny_overrides(tmp_path, **{"runtime.precision": "fp16"})
    )
    t = Trainer(cfg, data=tiny_data)
    assert t.precision in ("bf16", "fp32") and any("fp16 needs CUDA" in n for n in t.notes)


def test_gradient_scaler_state_resumes_exactly(tmp_path, tiny_data, monkeypatch):
    """fp16 (forced here on CPU) checkpoints both scalers; a resumed run continues bit for bit."""
    monkeypatch.setattr(trainer_module, "choose_precision", lambda name, device: ("fp16", None))
    n = 256
    ov = tiny_overrides(
        tmp_path, **{"train.images": n, "train.checkpoint_every": n // 2, "train.log_every": 64}
    )
    straight = Trainer(load_config("dcgan-fashion-mnist", ov), data=tiny_data).fit()
    half = Trainer(
        load_config("dcgan-fashion-mnist", {**ov, "train.images": n // 2}), data=tiny_data
    )
    half.task.scaler_d.set_growth_factor(4.0)  # state that only the checkpoint can carry over
    half.fit()
    assert half.task.extra_state()["scaler"]["D"]["growth_factor"] == 4.0
    resumed = Trainer.resume(half.run_dir, [f"train.images={n}"], data=tiny_data)
    assert resumed.task.scaler_d.state_dict() == half.task.scaler_d.state_dict()
    assert resumed.task.scaler_g.state_dict() == half.task.scaler_g.state_dict()
    resumed.fit()
    straight_g = straight.task.G.state_dict()
    assert all(torch.equal(v, resumed.task.G.state_dict()[k]) for k, v in straight_g.items())


# --------------------------------------------------------------------------- torch.compile


def test_compile_falls_back_when_unavailable(monkeypatch):
    monkeypatch.setattr(compiled, "compile_problem", lambda device_type: "no C++ compiler")
    task = GANTask(_toy_cfg(**{"runtime.compile": True}), 0, CPU, "fp32")
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
def test_compiled_step_matches_eager_step():
    """The fast path's reference twin: one D and one G step (with R1 through the eager D)."""
    problem = compiled.compile_problem("cpu")
    if problem is not None:
        pytest.skip(f"the inductor toolchain is missing here: {problem}")
    states = []
    for compile_on in (False, True):
        torch.manual_seed(0)
        task = GANTask(_toy_cfg(**{"runtime.compile": compile_on}), 0, CPU, "fp32")
        if compile_on:
            assert isinstance(task.D_fast, compiled.CompiledOrEager)
        out = _one_iteration(task)
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


# --------------------------------------------------------------------------- CUDA graphs


def test_cuda_graph_conditions():
    from ganforge.train.cuda_graph import graph_problem

    cuda = torch.device("cuda", 0)
    ok = dict(world_size=1, precision="bf16", task="gan", r1_every=1, compile=False)
    assert "CUDA device" in graph_problem(CPU, **ok)
    if hasattr(torch.cuda.CUDAGraph, "register_generator_state"):
        assert graph_problem(cuda, **ok) is None
    for change, why in [
        ({"world_size": 2}, "torchrun"),
        ({"precision": "fp16"}, "use bf16"),
        ({"task": "cyclegan"}, "image-to-image"),
        ({"r1_every": 16}, "lazy R1"),
        ({"compile": True}, "alternatives"),
    ]:
        assert why in graph_problem(cuda, **{**ok, **change})


def test_cuda_graphs_on_cpu_train_eagerly_with_a_note(tmp_path, tiny_data):
    ov = tiny_overrides(tmp_path, **{"runtime.cuda_graphs": True, "train.images": 64})
    t = Trainer(load_config("dcgan-fashion-mnist", ov), data=tiny_data).fit()
    assert t.status == "finished" and t._graphs is None
    assert any("cuda_graphs: CUDA graphs need a CUDA device" in n for n in t.notes)
