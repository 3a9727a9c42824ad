"""The sentence encoder: token ids -> one sentence vector (and per-word features).

A small Transformer encoder (Vaswani et al. 2017; pre-norm layers as in GPT-2) over learned word
and position embeddings, pooled by a masked mean over the caption's words and projected to
``out_dim``. It plays the part of the char-CNN-RNN of Reed et al. 2016 ("Generative Adversarial
Text to Image Synthesis") and of the bidirectional LSTM of AttnGAN's DAMSM (Xu et al. 2018), which
DF-GAN (Tao et al. 2022) reuses frozen: it is pre-trained against an image encoder with a
contrastive loss (``losses/contrastive.py``) on the data set's own captions, then frozen while the
GAN trains. A Transformer rather than a recurrent net because padding is a mask here, not a
packed sequence, so the same graph runs in training and in an ONNX export.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from ganforge.text.tokenizer import PAD_ID


class TextFeatures(NamedTuple):
    """sentence (B, out_dim); words (B, L, width); mask (B, L) bool, True at real words."""

    sentence: Tensor
    words: Tensor
    mask: Tensor


class SentenceEncoder(nn.Module):
    """ids (B, L) int64, PAD_ID-padded -> TextFeatures.

    An all-padding row (an empty caption) pools to zero instead of dividing by zero, so its
    sentence is the projection's bias; callers should refuse empty prompts before they get here
    (``Encoding.empty``).
    """

    def __init__(
        self,
        vocab_size: int,
        max_length: int = 32,
        width: int = 128,
        layers: int = 2,
        heads: int = 4,
        out_dim: int = 128,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        self.vocab_size, self.max_length, self.out_dim = vocab_size, max_length, out_dim
        self.embed = nn.Embedding(vocab_size, width, padding_idx=PAD_ID)
        self.position = nn.Parameter(torch.zeros(1, max_length, width))
        nn.init.normal_(self.position, std=0.02)
        layer = nn.TransformerEncoderLayer(
            width, heads, 4 * width, dropout, activation="gelu", batch_first=True, norm_first=True
        )
        # enable_nested_tensor=False: the nested-tensor fast path (eval mode only) would make
        # training and inference take different code paths; it buys nothing at these sizes.
        self.layers = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(width)
        self.project = nn.Linear(width, out_dim)

    def forward(self, ids: Tensor) -> TextFeatures:
        if ids.shape[1] > self.max_length:
            raise ValueError(
                f"ids have {ids.shape[1]} positions; this encoder takes {self.max_length}"
            )
        mask = ids != PAD_ID  # (B, L)
        h = self.embed(ids) + self.position[:, : ids.shape[1]]  # (B, L, W)
        # An all-padding row would give every attention score -inf (NaN after softmax): let such a
        # row attend to its padding; its words are masked out of the pooling below anyway.
        blocked = ~mask & mask.any(dim=1, keepdim=True)
        h = self.norm(self.layers(h, src_key_padding_mask=blocked))  # (B, L, W)
        m = mask.unsqueeze(-1).to(h.dtype)  # (B, L, 1)
        pooled = (h * m).sum(1) / m.sum(1).clamp(min=1.0)  # (B, W): masked mean
        return TextFeatures(self.project(pooled), h, mask)
