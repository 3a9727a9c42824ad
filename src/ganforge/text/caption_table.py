"""Every caption of a captioned data set as one flat, tokenised table, and vectorised choice.

A captioned record holds a list of captions per image (``fields["captions"]``); training wants
tensors: the token ids of every caption (M, L), the image each belongs to, a key shared by equal
caption strings (so that "a dark coat" of two images is never used as a mismatch of the other, nor
as a negative of it in the contrastive loss), and per image where its captions start and how many
there are, so that one caption of each image in a batch is drawn with one tensor expression.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from ganforge.errors import GanforgeError
from ganforge.text.tokenizer import Encoding, WordTokenizer


@dataclass
class CaptionTable:
    texts: list[str]
    """(M,) the captions, image by image."""
    ids: Tensor
    """(M, L) int64 token ids."""
    image: Tensor
    """(M,) int64: the image each caption belongs to."""
    key: Tensor
    """(M,) int64: equal strings share a key."""
    start: Tensor
    """(N,) int64: the first row of each image's captions."""
    count: Tensor
    """(N,) int64: how many captions each image has (at least one)."""
    encoding: Encoding
    """What the tokenizer lost (unknown words, cut captions)."""

    @classmethod
    def build(
        cls,
        per_image: Sequence[Sequence[str]],
        tokenizer: WordTokenizer,
        keys: dict[str, int] | None = None,
    ) -> CaptionTable:
        """``per_image[i]``: the captions of image i (at least one each). ``keys`` maps caption
        strings to keys, shared with another table of the same images (filled in place)."""
        counts = [len(c) for c in per_image]
        if not per_image or min(counts) < 1:
            raise GanforgeError("every image needs at least one caption")
        texts = [c for caps in per_image for c in caps]
        keys = {} if keys is None else keys
        key = torch.tensor([keys.setdefault(t, len(keys)) for t in texts])
        count = torch.tensor(counts)
        start = torch.cumsum(count, 0) - count
        image = torch.repeat_interleave(torch.arange(len(per_image)), count)
        enc = tokenizer.encode(texts)
        return cls(texts, enc.ids, image, key, start, count, enc)

    def __len__(self) -> int:
        return len(self.texts)

    def to(self, device: torch.device | str) -> CaptionTable:
        """The tensors on ``device`` (the texts stay)."""
        move = {k: getattr(self, k).to(device) for k in ("ids", "image", "key", "start", "count")}
        return CaptionTable(self.texts, encoding=self.encoding, **move)

    def pick(self, images: Tensor, u: Tensor) -> Tensor:
        """One caption row of each of ``images`` (B,): the one at ``u`` (B,) in [0, 1) of the
        image's list."""
        i = (u * self.count[images]).long().clamp(max=self.count[images] - 1)
        return self.start[images] + i  # (B,)
