"""inference/export_spec.py: the record every export format is written from."""

import dataclasses

import torch
from torch import nn

from ganforge.inference.export_spec import ExportSpec


def test_an_export_spec_holds_what_each_format_needs():
    net = nn.Linear(2, 2)
    spec = ExportSpec(
        module=net,
        example=(torch.zeros(1, 2),),
        input_names=["x"],
        output_name="y",
        dynamic_shapes={"x": {0: torch.export.Dim("batch", min=1)}},
        config={"inputs": {"x": {}}},
        net=net,
        probes=[(torch.ones(3, 2),)],
    )
    assert [f.name for f in dataclasses.fields(spec)] == [
        "module",
        "example",
        "input_names",
        "output_name",
        "dynamic_shapes",
        "config",
        "net",
        "probes",
    ]
    spec.config = {"format": "x", **spec.config}  # the exporter adds the run's provenance
    assert spec.config["format"] == "x" and spec.module(*spec.probes[0]).shape == (3, 2)
