"""Whole-iteration CUDA graphs (``runtime.cuda_graphs``): one graph replay per training iteration.

A small GAN on a large GPU is bound by the host, not the GPU: one DCGAN-32 iteration is a few
hundred kernel launches, and issuing each costs the CPU more time than the GPU spends running it.
A CUDA graph records the launches of one iteration once and replays them with a single call
(NVIDIA's CUDA graphs through ``torch.cuda.graph``; the "whole network capture" of PyTorch's CUDA
semantics notes, with the optimizer step inside the graph).

The graph holds an iteration as the eager loop runs it (``Trainer._iteration``): every phase of the
task (for a GAN, n_critic D steps and the G step: forwards, backwards, penalties, optimizer steps,
weight clipping, spectral-norm power iterations), the EMA update and the summed scalars. Outside
it, per iteration: the task's draws (batch indices) copied into a static buffer, the EMA decay
(and scheduled learning rates) written into device scalars, the replay, the task's host-side
counters (``Task.replayed``), and the log sums. Only tasks whose ``Task.graph_problem`` is None
are captured. Random numbers come from the run's generator,
registered with the graph, so a replay draws what an eager iteration would: the eager loop is the
reference twin, and tests/train/test_cuda.py checks that the two agree.

``graph_problem`` lists what cannot be captured; then the run goes on eagerly with a one-line note.

Status: the capture was tried on an H200 (torch 2.11) once; it failed at the EMA update, whose
scalar weight was read on the host (since replaced by device-side multi-tensor arithmetic). The
fixed version has not run on a GPU yet: ``bash benchmarks/gpu_check.sh`` is the check to run.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from ganforge.errors import GanforgeError

WARMUP_ITERATIONS = 3
"""Eager iterations before the capture: optimizer state, cuDNN plans and the allocator settle."""


def graph_problem(
    device: torch.device,
    world_size: int,
    precision: str,
    task_problem: str | None,
    compile: bool,
) -> str | None:
    """None when an iteration of this run can be captured, else why not (one line).
    ``task_problem`` is the task's own answer (``Task.graph_problem``: a capability)."""
    if device.type != "cuda":
        return "CUDA graphs need a CUDA device"
    if world_size > 1:
        return "CUDA graphs are not combined with torchrun (DDP) here"
    if task_problem is not None:
        return task_problem
    if precision == "fp16":
        return "fp16's gradient scaler decides on the host whether to skip a step; use bf16"
    if compile:
        return "runtime.compile and runtime.cuda_graphs are alternatives here"
    if not hasattr(torch.cuda.CUDAGraph, "register_generator_state"):
        return f"torch {torch.__version__} cannot give a graph the run's random generator"
    return None


Iteration = Callable[[Tensor, "float | Tensor", bool], tuple[dict[str, Tensor], dict[str, int]]]
"""(draws, EMA decay, measure) -> (summed scalars, steps each sums): ``Trainer._iteration``."""


class GraphedIterations:
    """Runs a task's iterations the CUDA-graph way: ``WARMUP_ITERATIONS`` eagerly on a side
    stream (PyTorch's recipe for whole-network capture), then one capture, then replays.

    A capture that fails stops the run with a one-line error: the failed capture leaves PyTorch's
    CUDA random generators in capture mode, so the process cannot go on eagerly either.
    """

    def __init__(
        self, iteration: Iteration, task, generator: torch.Generator, lr_on_device: bool
    ) -> None:
        self.iteration, self.task, self.gen = iteration, task, generator
        self.device = generator.device
        self._warmed = 0
        self._graph: torch.cuda.CUDAGraph | None = None
        # A captured step needs the optimizers' step counts (and scheduled learning rates) on
        # the device, and autocast without its cache of low-precision weights.
        task.prepare_capture()
        for opt in task.optimizers.values():
            for group in opt.param_groups:
                group["capturable"] = True
                if lr_on_device:
                    group["lr"] = torch.tensor(float(group["lr"]), device=self.device)
            for st in opt.state.values():
                if "step" in st and st["step"].device != self.device:
                    st["step"] = st["step"].to(self.device, torch.float32)

    def __call__(self, idx: Tensor, beta: float) -> tuple[dict[str, Tensor], dict[str, int]]:
        if self._graph is not None:
            return self._replay(idx, beta)
        side = torch.cuda.Stream(self.device)
        side.wait_stream(torch.cuda.current_stream(self.device))
        with torch.cuda.stream(side):
            if self._warmed < WARMUP_ITERATIONS:
                self._warmed += 1
                out = self.iteration(idx, beta, True)  # measure every step: the graph always does
            else:
                self._capture(idx)
        torch.cuda.current_stream(self.device).wait_stream(side)
        return out if self._graph is None else self._replay(idx, beta)

    def _capture(self, idx: Tensor) -> None:
        # The capture records without running: parameters, buffers and the generator's offset do
        # not move (replays advance the generator), but the task's Python side counts steps.
        host_state = self.task.extra_state()
        self._idx = idx.clone()  # (draws per iteration, B) static batch indices
        self._beta = torch.zeros((), device=self.device)  # static EMA decay
        graph = torch.cuda.CUDAGraph()
        graph.register_generator_state(self.gen)
        torch.cuda.synchronize(self.device)
        try:
            with torch.cuda.graph(graph):
                self._out, self._counts = self.iteration(self._idx, self._beta, True)
        except Exception as e:
            first = str(e).strip().splitlines()[0][:200] if str(e).strip() else ""
            raise GanforgeError(
                f"runtime.cuda_graphs: capturing the training iteration failed ({type(e).__name__}: "
                f"{first}); train without it (--set runtime.cuda_graphs=false), the last "
                "checkpoint resumes"
            ) from None
        finally:
            self.task.load_extra_state(host_state)
        self._graph = graph

    def _replay(self, idx: Tensor, beta: float) -> tuple[dict[str, Tensor], dict[str, int]]:
        self._idx.copy_(idx)
        self._beta.fill_(beta)
        self._graph.replay()
        self.task.replayed()  # the counters the eager steps would have advanced
        return self._out, self._counts
