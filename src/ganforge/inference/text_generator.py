"""A trained text-to-image generator: captions (and noise) in, images out.

What ``ganforge.load_run`` returns as ``run.model`` for a ``text2image`` run. Its uses
(inference/uses.py): ``text`` (condition on a caption) and ``sample``, so every command that
draws samples finds it. ``G`` is a ``TextToImage`` module called as ``G(z, ids)``: the frozen
sentence encoder (``text/encoder.py``), conditioning augmentation's mean when the run used it
(Zhang et al. 2017: a deterministic condition at inference), and the DF-GAN generator (Tao et al.
2022). ``ids`` are the token ids of ``tokenizer`` (``text/tokenizer.py``); with ``ids=None`` the
run's example captions are used in turn, one per row, so a command that knows nothing of
captions (``report``, ``sheet``) still draws meaningful samples.

Its export: inputs ``z`` (batch, z_dim) float32 and ``ids`` (batch, max_length) int64 token ids,
output ``image`` (batch, C, H, W) in [-1, 1]; the tokenizer ships beside the file as
``tokenizer.json`` (a Hugging Face tokenizers file: ``Tokenizer.from_file`` gives the same ids).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganforge.errors import GanforgeError
from ganforge.images import to_uint8
from ganforge.inference.export_spec import ExportSpec
from ganforge.inference.uses import InferenceModel, check_call
from ganforge.text.tokenizer import Encoding, WordTokenizer

MAX_PROMPT_CHARS = 2000
"""Longest caption accepted from a user (longer ones are refused, not silently cut)."""


def sentence_condition(sentence: Tensor) -> Tensor:
    """The encoder's sentence vector as the GAN sees it: L2-normalised and scaled to norm
    sqrt(E), unit variance per component, the scale the fusion blocks' MLPs expect of an input."""
    return F.normalize(sentence, dim=1) * sentence.shape[1] ** 0.5


class TextToImage(nn.Module):
    """(z (B, z_dim), ids (B, L) int64) -> images (B, C, H, W) in [-1, 1]."""

    def __init__(
        self, encoder: nn.Module, G: nn.Module, ca: nn.Module | None, prompts: Tensor
    ) -> None:
        super().__init__()
        self.encoder, self.G, self.ca = encoder, G, ca
        self.register_buffer("prompts", prompts.clone(), persistent=False)  # (P, L)
        self.z_dim = int(G.z_dim)

    def condition(self, ids: Tensor) -> Tensor:
        """(B, L) ids -> (B, E) the generator's condition."""
        s = sentence_condition(self.encoder(ids).sentence)
        return s if self.ca is None else self.ca(s, sample=False).c

    def forward(self, z: Tensor, ids: Tensor | None = None) -> Tensor:
        if ids is None:  # the example captions in turn, one per row
            rows = torch.arange(len(z), device=z.device) % len(self.prompts)
            ids = self.prompts[rows]
        return self.G(z, self.condition(ids))


class _Export(nn.Module):
    """forward(z, ids) -> image: the signature every format records."""

    def __init__(self, G: TextToImage) -> None:
        super().__init__()
        self.G = G

    def forward(self, z: Tensor, ids: Tensor) -> Tensor:
        return self.G(z, ids)


@dataclass
class TextGenerator(InferenceModel):
    G: TextToImage
    tokenizer: WordTokenizer
    output_shape: tuple[int, ...]
    """(C, H, W) of one image."""
    example_captions: list[str] = field(default_factory=list)
    network: str = "G"
    num_classes: int = 0
    """Not class-conditional: the ``sample`` use's callers read this."""
    class_names: list[str] = field(default_factory=list)

    @property
    def uses(self) -> dict[str, tuple[str, ...]]:
        return {"text": ("z", "text"), "sample": ("z", "text")}

    @property
    def module(self) -> nn.Module:
        return self.G

    @property
    def z_dim(self) -> int:
        return self.G.z_dim

    def describe(self) -> str:
        return "text-to-image generator (sentence encoder + G)"

    def encode_text(self, captions: Sequence[str]) -> tuple[Tensor, list[str]]:
        """Captions -> ((N, L) token ids, notes to show once: words cut or unknown). An empty or
        over-long caption is refused in one line."""
        if not captions:
            raise GanforgeError("no caption given: pass --text 'a caption' or a --text-file")
        for i, c in enumerate(captions):
            if len(c) > MAX_PROMPT_CHARS:
                raise GanforgeError(
                    f"caption {i + 1} has {len(c)} characters; at most {MAX_PROMPT_CHARS}"
                )
        enc: Encoding = self.tokenizer.encode(list(captions))
        if enc.empty:
            i = enc.empty[0]
            raise GanforgeError(
                f"caption {i + 1} ({captions[i][:40]!r}) has no words: give a caption such as "
                f"{self.example_captions[0]!r}"
                if self.example_captions
                else f"caption {i + 1} has no words"
            )
        return enc.ids, enc.notes()

    @torch.no_grad()
    def generate(self, z: Tensor, ids: Tensor, batch_size: int = 256) -> Tensor:
        """Images (N, C, H, W) in [-1, 1] on the CPU for z (N, z_dim) and ids (N, L)."""
        dev = next(self.G.parameters()).device
        return torch.cat(
            [
                self.G(z[i : i + batch_size].to(dev), ids[i : i + batch_size].to(dev)).float().cpu()
                for i in range(0, len(z), batch_size)
            ]
        )

    def infer(self, use: str, inputs: dict[str, Any]) -> Tensor:
        """``text`` / ``sample``: z (N, z_dim) and N captions (one caption is used for all N) ->
        uint8 (N, C, H, W) images. Unknown words read as ``[UNK]``, as in ``sample --text``."""
        check_call(self, use, inputs)
        z, captions = inputs["z"], list(inputs["text"])
        if len(captions) == 1:
            captions *= len(z)
        if len(captions) != len(z):
            raise GanforgeError(
                f"{len(captions)} captions for {len(z)} latents: give 1 or {len(z)}"
            )
        ids, _ = self.encode_text(captions)
        return to_uint8(self.generate(z, ids))

    def input_info(self, name: str) -> dict[str, Any]:
        if name == "z":
            return {"dim": self.z_dim}
        if name == "text":
            return {"examples": list(self.example_captions[:8])}
        return {}

    @torch.no_grad()
    def caption_walk(self, z: Tensor, ids_a: Tensor, ids_b: Tensor, steps: int) -> Tensor:
        """``steps`` images (S, C, H, W) at latent z (z_dim,) whose condition moves linearly from
        caption a's to caption b's (ids (L,) each): GAN-INT's interpolation (Reed et al. 2016)."""
        if steps < 2:
            raise GanforgeError(f"--steps {steps} must be at least 2 (the two endpoints)")
        dev = next(self.G.parameters()).device
        c = self.G.condition(torch.stack([ids_a, ids_b]).to(dev))  # (2, E)
        t = torch.linspace(0, 1, steps, device=dev)[:, None]
        cond = (1 - t) * c[0] + t * c[1]  # (S, E)
        return self.G.G(z.to(dev).expand(steps, -1), cond).float().cpu()

    def companion_files(self) -> dict[str, bytes]:
        return {"tokenizer.json": self.tokenizer.to_json().encode("utf-8")}

    def export_config(self) -> dict[str, Any]:
        L = self.tokenizer.max_length
        return {
            "network": self.network,
            "inputs": {
                "z": {"shape": ["batch", self.z_dim], "dtype": "float32"},
                "ids": {
                    "shape": ["batch", L],
                    "dtype": "int64",
                    "tokenizer": "tokenizer.json",
                    "pad_id": 0,
                    "vocab_size": len(self.tokenizer),
                },
            },
            "output": {"name": "image", "shape": ["batch", *self.output_shape], "range": [-1, 1]},
            "z_dim": self.z_dim,
            "example_captions": list(self.example_captions),
        }

    def export_spec(self) -> ExportSpec:
        G = self.G.cpu().eval()
        batch = torch.export.Dim("batch", min=1)
        L = self.tokenizer.max_length

        def inputs(n: int) -> tuple[Tensor, ...]:
            gen = torch.Generator().manual_seed(n)
            z = torch.randn(n, self.z_dim, generator=gen)
            ids = torch.randint(2, len(self.tokenizer), (n, L), generator=gen)
            ids[:, L // 2 + n % 2 :] = 0  # padded tails, as the tokenizer makes them
            return z, ids

        config = self.export_config()
        return ExportSpec(
            module=_Export(G).eval(),
            example=inputs(2),
            input_names=["z", "ids"],
            output_name="image",
            dynamic_shapes={"z": {0: batch}, "ids": {0: batch}},
            config=config,
            net=G,
            probes=[inputs(1), inputs(3)],
        )
