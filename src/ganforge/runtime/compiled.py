"""torch.compile of the networks' training calls (``runtime.compile``), with eager as the reference.

``torch.compile`` (Ansel et al. 2024, "PyTorch 2: Faster Machine Learning Through Dynamic Python
Bytecode Transformation and Graph Compilation", ASPLOS) traces a module's forward into graphs and
generates fused kernels (C++/OpenMP on CPU, Triton on CUDA). A compiled module shares its
parameters and buffers with the eager module, so checkpoints, EMA and sampling keep using the eager
one; tests/train/test_runtime.py checks that one compiled step matches one eager step.

Two limits shape how tasks use it:

- AOTAutograd does not support double backward, so calls whose gradient is itself differentiated
  (the gradient penalty's D(x_hat), R1's D(x)) must use the eager module;
- compilation happens at the first call and can fail there (no C++ compiler, no Triton, a GPU too
  old for Triton, an operator inductor cannot lower). ``compile_problem`` probes the toolchain once
  up front, and ``CompiledOrEager`` falls back to the eager module if a first call still fails.
  Either way the run goes on eagerly with a one-line note.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch
from torch import nn


@functools.cache
def compile_problem(device_type: str) -> str | None:
    """None when torch.compile works on this device type, else why not (one line)."""

    def probe(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.leaky_relu(x @ w, 0.2).sum()

    try:
        x = torch.randn(4, 4, device=device_type)
        w = torch.randn(4, 4, device=device_type, requires_grad=True)
        torch.compile(probe)(x, w).backward()
    except Exception as e:  # any failure means "cannot compile here", whatever raised it
        return _first_line(e)
    return None


def _first_line(e: BaseException) -> str:
    lines = [ln for ln in str(e).strip().splitlines() if ln.strip()]
    return f"{type(e).__name__}: {lines[0][:200] if lines else ''}"


class CompiledOrEager(nn.Module):
    """Calls the compiled twin of ``module``; if a call fails to compile, notes why and calls the
    eager module from then on (the failure happens while tracing, before anything ran)."""

    def __init__(self, module: nn.Module, note: Callable[[str], None]) -> None:
        super().__init__()
        self.eager = module
        self.compiled: Callable | None = torch.compile(module)
        self._note = note

    def forward(self, *args, **kwargs):
        if self.compiled is not None:
            try:
                return self.compiled(*args, **kwargs)
            except torch._dynamo.exc.TorchDynamoException as e:
                self.compiled = None
                self._note(
                    f"runtime.compile: compiling {type(self.eager).__name__} failed "
                    f"({_first_line(e)}); it runs eagerly"
                )
        return self.eager(*args, **kwargs)


def compile_modules(
    modules: dict[str, nn.Module], device: torch.device, note: Callable[[str], None]
) -> dict[str, nn.Module]:
    """Compiled twins of ``modules`` (same parameters), or the modules themselves with a note."""
    problem = compile_problem(device.type)
    if problem is not None:
        note(f"runtime.compile: torch.compile does not work here ({problem}); running eagerly")
        return dict(modules)
    return {k: CompiledOrEager(m, note) for k, m in modules.items()}
