"""A trained noise-to-sample generator, ready for sampling: what ``ganforge.load_run`` returns as
``run.model`` for the GAN tasks (and any plug-in task that opens as one).

``G`` is a plain ``nn.Module`` called as ``G(z, y=None)`` with a ``z_dim`` attribute, in eval mode
without gradients; it returns images (B, C, H, W) in [-1, 1] or, for the 2-D toy sets, points
(B, 2). Its uses (inference/uses.py): ``sample``, and ``class`` when it is class-conditional.

Its export (inference/export_spec.py): inputs ``z`` (batch, z_dim) float32, standard normal, and
``y`` (batch,) int64 on a class-conditional run; output ``image`` (batch, C, H, W) in [-1, 1]
(``points`` (batch, 2) for the toys); the batch axis dynamic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from ganforge.images import to_uint8
from ganforge.inference.export_spec import ExportSpec
from ganforge.inference.uses import InferenceModel, check_call


@dataclass
class NoiseGenerator(InferenceModel):
    G: nn.Module
    num_classes: int = 0
    """Classes the generator is conditioned on (0: unconditional)."""
    class_names: list[str] = field(default_factory=list)
    output_shape: tuple[int, ...] = ()
    """Shape of one sample: (C, H, W) for images, (2,) for toy points."""
    network: str = "G"
    """Which of the run's networks ``G`` is (its key in the checkpoint): exports record it."""

    @property
    def uses(self) -> dict[str, tuple[str, ...]]:
        if self.num_classes:
            return {"sample": ("z", "y"), "class": ("z", "y")}
        return {"sample": ("z",)}

    @property
    def module(self) -> nn.Module:
        return self.G

    @property
    def z_dim(self) -> int:
        return int(self.G.z_dim)

    @property
    def is_image(self) -> bool:
        return len(self.output_shape) == 3

    @torch.no_grad()
    def infer(self, use: str, inputs: dict[str, Any], batch_size: int = 256) -> Tensor:
        """``sample`` / ``class``: G(z, y) in batches -> uint8 (N, C, H, W) images, or float32
        (N, 2) points for a toy run, on the CPU."""
        check_call(self, use, inputs)
        z = inputs["z"]
        y = inputs.get("y") if self.num_classes else None
        dev = next(self.G.parameters()).device
        out = torch.cat(
            [
                self.G(
                    z[i : i + batch_size].to(dev),
                    None if y is None else y[i : i + batch_size].to(dev),
                )
                .float()
                .cpu()
                for i in range(0, z.shape[0], batch_size)
            ]
        )  # (N, C, H, W) in [-1, 1], or (N, 2)
        return to_uint8(out) if self.is_image else out

    def input_info(self, name: str) -> dict[str, Any]:
        if name == "z":
            return {"dim": self.z_dim}
        if name == "y":
            names = list(self.class_names)
            return {
                "classes": names
                if len(names) == self.num_classes
                else [str(k) for k in range(self.num_classes)]
            }
        return {}

    def export_config(self) -> dict[str, Any]:
        """The JSON a consumer of the exported generator needs."""
        inputs: dict[str, Any] = {"z": {"shape": ["batch", self.z_dim], "dtype": "float32"}}
        if self.num_classes:
            inputs["y"] = {"shape": ["batch"], "dtype": "int64", "classes": self.num_classes}
        return {
            "network": self.network,
            "inputs": inputs,
            "output": {
                "name": "image" if self.is_image else "points",
                "shape": ["batch", *self.output_shape],
                "range": [-1, 1],
            },
            "z_dim": self.z_dim,
            "num_classes": self.num_classes,
            "class_names": list(self.class_names),
        }

    def export_spec(self) -> ExportSpec:
        G = self.G.cpu().eval()
        k = self.num_classes
        batch = torch.export.Dim("batch", min=1)

        def inputs(n: int) -> tuple[Tensor, ...]:
            z = torch.randn(n, self.z_dim, generator=torch.Generator().manual_seed(n))
            return (z, torch.arange(n) % k) if k else (z,)

        names = ["z", "y"] if k else ["z"]
        config = self.export_config()
        return ExportSpec(
            module=(_Conditional(G) if k else _Unconditional(G)).eval(),
            example=inputs(2),
            input_names=names,
            output_name=config["output"]["name"],
            dynamic_shapes={name: {0: batch} for name in names},
            config=config,
            net=G,
            probes=[inputs(1), inputs(3)],
        )


class _Unconditional(nn.Module):
    """G with the signature every format records: forward(z) -> image."""

    def __init__(self, G: nn.Module) -> None:
        super().__init__()
        self.G = G

    def forward(self, z: Tensor) -> Tensor:
        return self.G(z)


class _Conditional(nn.Module):
    """forward(z, y) -> image."""

    def __init__(self, G: nn.Module) -> None:
        super().__init__()
        self.G = G

    def forward(self, z: Tensor, y: Tensor) -> Tensor:
        return self.G(z, y)
