"""CUDA-graph mode on any machine: when an iteration can be captured, and the eager fallback.
The capture itself runs on a GPU only: tests/train/test_cuda.py."""

from __future__ import annotations

import torch

from ganforge.config import load_config
from ganforge.train.cuda_graph import graph_problem
from ganforge.train.trainer import Trainer
from helpers import tiny_overrides

CPU = torch.device("cpu")


def test_cuda_graph_conditions():
    cuda = torch.device("cuda", 0)
    ok = dict(world_size=1, precision="bf16", task_problem=None, compile=False)
    assert "CUDA device" in graph_problem(CPU, **ok)
    if hasattr(torch.cuda.CUDAGraph, "register_generator_state"):
        assert graph_problem(cuda, **ok) is None
    for change, why in [
        ({"world_size": 2}, "torchrun"),
        ({"precision": "fp16"}, "use bf16"),
        ({"task_problem": "the task's own reason"}, "the task's own reason"),
        ({"compile": True}, "alternatives"),
    ]:
        assert why in graph_problem(cuda, **{**ok, **change})


def test_the_tasks_declare_whether_an_iteration_can_be_captured(tmp_path, tiny_data):
    # The Trainer asks the task (a capability), never its loss.* keys.
    plain = Trainer(load_config("dcgan-fashion-mnist", tiny_overrides(tmp_path)), data=tiny_data)
    assert plain.task.graph_problem() is None
    lazy = {"loss.r1_gamma": 1.0, "loss.r1_every": 4}
    t = Trainer(
        load_config("dcgan-fashion-mnist", tiny_overrides(tmp_path, **lazy)), data=tiny_data
    )
    assert "lazy R1" in t.task.graph_problem()
    aug = tiny_overrides(tmp_path, **{"augment.policy": "diffaugment"})
    t = Trainer(load_config("dcgan-fashion-mnist", aug), data=tiny_data)
    assert "augmentation" in t.task.graph_problem()


def test_cuda_graphs_on_cpu_train_eagerly_with_a_note(tmp_path, tiny_data):
    ov = tiny_overrides(tmp_path, **{"runtime.cuda_graphs": True, "train.images": 64})
    t = Trainer(load_config("dcgan-fashion-mnist", ov), data=tiny_data).fit()
    assert t.status == "finished" and t._graphs is None
    assert any("cuda_graphs: CUDA graphs need a CUDA device" in n for n in t.notes)
