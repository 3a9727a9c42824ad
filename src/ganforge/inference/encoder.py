"""A trained autoencoder, ready to encode: what ``ganforge.load_run`` returns as ``run.model`` for
an autoencoder run (``model.task=autoencoder``, tasks/autoencoder.py).

Its one use (inference/uses.py) is ``encode``: uint8 images (N, C, H, W) of the run's channels and
size -> float codes (N, code). The images are prepared as in training first: centred by their mass
when the run was trained so (``autoencoder.center``, metrics/near_duplicates.center_by_mass), then
brought to the model range [-1, 1]. The module runs in eval mode, so there is no input noise and no
dropout: the same image always gives the same code, which the semantic hash of ``ganforge dedup``
needs. ``reconstruct`` gives the decoder's output too (``ganforge eval``, figures).

Its export (inference/export_spec.py): the encoder, input ``image`` (batch, C, H, W) float32 in
[-1, 1], output ``code`` (batch, code) float32 (>= 0: ReLU units), the batch axis dynamic. The
exported graph does not centre: the JSON config says ``"center": true`` when a consumer must
centre the images first. The safetensors export holds the whole autoencoder (encoder and decoder
weights), so ``explore.export.load_generator`` rebuilds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from ganforge.errors import GanforgeError
from ganforge.inference.export_spec import ExportSpec
from ganforge.inference.uses import InferenceModel, check_call
from ganforge.metrics.near_duplicates import center_by_mass
from ganforge.models.autoencoder import Autoencoder

BATCH = 1024
"""Images encoded per forward pass."""


@dataclass
class Encoder(InferenceModel):
    autoencoder: Autoencoder
    """The trained autoencoder (eval mode, no gradients)."""
    center: bool = False
    """Images are centred by mass before encoding (as in training)."""
    network: str = "autoencoder"
    """Which of the run's networks this is (its key in the checkpoint): exports record it."""

    @property
    def uses(self) -> dict[str, tuple[str, ...]]:
        return {"encode": ("image",)}

    @property
    def module(self) -> nn.Module:
        return self.autoencoder.encoder

    def describe(self) -> str:
        return "encoder"

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of the images this autoencoder takes."""
        c, h, w = self.autoencoder.in_shape
        return c, h, w

    def infer(self, use: str, inputs: dict[str, Any]) -> Tensor:
        """``encode``: uint8 (N, C, H, W) of the run's shape -> float32 (N, code)."""
        check_call(self, use, inputs)
        return self.encode(inputs["image"])

    def input_info(self, name: str) -> dict[str, Any]:
        if name == "image":
            c, h, w = self.image_shape
            return {
                "channels": c,
                "size": (h, w),
                "background": "white",
            }  # data.background's default
        return {}

    @property
    def code_dim(self) -> int:
        return self.autoencoder.code_dim

    @property
    def device(self) -> torch.device:
        return next(self.autoencoder.parameters()).device

    def prepare(self, images: Tensor) -> Tensor:
        """uint8 (N, C, H, W) -> the uint8 images the encoder sees (centred when the run was
        trained centred). One line when the shape is not the run's."""
        if images.dtype != torch.uint8 or images.ndim != 4:
            raise GanforgeError(f"encode takes uint8 (N, C, H, W) images, got {images.dtype}")
        if tuple(images.shape[1:]) != self.image_shape:
            c, h, w = self.image_shape
            raise GanforgeError(
                f"images of shape {tuple(images.shape[1:])} (C, H, W) do not fit this "
                f"autoencoder, which encodes {c}x{h}x{w}"
            )
        return center_by_mass(images) if self.center else images

    @torch.no_grad()
    def encode(self, images: Tensor, batch: int = BATCH, prepared: bool = False) -> Tensor:
        """uint8 (N, C, H, W) -> float32 (N, code) on the CPU. ``prepared``: the images already
        went through ``prepare`` (skip the centring)."""
        x = images if prepared else self.prepare(images)
        codes = [
            self.autoencoder.encode(_model_range(x[s : s + batch], self.device)).float().cpu()
            for s in range(0, len(x), batch)
        ]
        return torch.cat(codes) if codes else torch.zeros(0, self.code_dim)

    @torch.no_grad()
    def reconstruct(self, images: Tensor, batch: int = BATCH) -> tuple[Tensor, Tensor]:
        """uint8 (N, C, H, W) -> (the prepared inputs, their uint8 reconstructions), both
        (N, C, H, W): decode(encode(x)) without noise or dropout."""
        x = self.prepare(images)
        out = []
        for s in range(0, len(x), batch):
            code = self.autoencoder.encode(_model_range(x[s : s + batch], self.device))
            recon = self.autoencoder.decode(code).float().clamp(-1, 1)
            out.append(((recon + 1) * 127.5).round().to(torch.uint8).cpu())
        return x, torch.cat(out) if out else x.clone()

    def export_config(self) -> dict[str, Any]:
        """The JSON a consumer of the exported encoder needs."""
        c, h, w = self.image_shape
        return {
            "network": self.network,
            "inputs": {"image": {"shape": ["batch", c, h, w], "range": [-1, 1]}},
            "output": {"name": "code", "shape": ["batch", self.code_dim]},
            "center": self.center,
            "prepare": (
                "centre each image by its mass first (ganforge.metrics.near_duplicates."
                "center_by_mass on uint8 images), then x / 127.5 - 1"
                if self.center
                else "x / 127.5 - 1 of uint8 images"
            ),
        }

    def export_spec(self) -> ExportSpec:
        ae = self.autoencoder.cpu().eval()
        c, h, w = self.image_shape

        def image(n: int) -> tuple[Tensor, ...]:
            g = torch.Generator().manual_seed(n)
            return (torch.rand(n, c, h, w, generator=g) * 2 - 1,)

        return ExportSpec(
            module=_Encode(ae).eval(),
            example=image(2),
            input_names=["image"],
            output_name="code",
            dynamic_shapes={"image": {0: torch.export.Dim("batch", min=1)}},
            config=self.export_config(),
            net=ae,  # the safetensors export: encoder and decoder, so it can be rebuilt
            probes=[image(1), image(3)],
        )


def _model_range(x: Tensor, device: torch.device) -> Tensor:
    """uint8 -> float32 in [-1, 1] on ``device``."""
    return x.to(device).float() / 127.5 - 1


class _Encode(nn.Module):
    """forward(image) -> code: the signature every export format records."""

    def __init__(self, autoencoder: Autoencoder) -> None:
        super().__init__()
        self.autoencoder = autoencoder

    def forward(self, image: Tensor) -> Tensor:
        return self.autoencoder.encode(image)
