"""What an exported graph is, as every export format sees it: ``InferenceModel.export_spec``.

The inference object knows its inputs, so it describes its own export: the module to trace (whose
forward takes the named inputs in order), an example input for tracing, the dynamic axes, the JSON
a consumer of the file needs, and probe inputs of other shapes on which an exported graph is
compared with PyTorch. ``ganforge/explore/export.py`` writes the formats from it (ONNX,
TorchScript, safetensors + JSON) and adds the run's provenance (checkpoint, EMA, versions).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from torch import Tensor, nn


@dataclass
class ExportSpec:
    """One exported network: a module, example inputs and their names."""

    module: nn.Module
    """Eval-mode wrapper whose forward takes the named inputs in order."""
    example: tuple[Tensor, ...]
    input_names: list[str]
    output_name: str
    dynamic_shapes: dict[str, dict[int, Any]]
    """torch.export dims per input name (the argument names of ``module.forward``)."""
    config: dict[str, Any]
    """The model's part of the JSON every format carries (inputs, output, sizes, classes)."""
    net: nn.Module
    """The network itself: its state dict is the safetensors export."""
    probes: list[tuple[Tensor, ...]]
    """Seeded inputs of other shapes than ``example``, for the ONNX parity check."""
