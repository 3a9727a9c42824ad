"""R-precision of text-to-image retrieval: Xu et al. 2018, "AttnGAN" (CVPR), section 4.

For each generated image, its own caption and R - 1 = 99 captions of other items are ranked by
the cosine similarity of an evaluation encoder's image and sentence vectors (an encoder pair
trained apart from the generator's, so the generator cannot have fitted it); the score is the
share of images whose own caption ranks first (R = 1 relevant caption among 100, so R-precision is
top-1 accuracy; chance is 1 %). As in the reference code (taoxugit/AttnGAN, code/main.py and
DF-GAN's evaluation), the 99 others are drawn at random; here only among captions whose text
differs from the true one (an identical string would be a tie, counted as a failure by ``>``),
with a seeded generator, for every image at once.
"""

from __future__ import annotations

import torch
from torch import Tensor

CANDIDATES = 100
"""Captions ranked per image: the true one and 99 others (AttnGAN's R = 100)."""


def r_precision(
    similarity: Tensor, key: Tensor, seed: int = 0, candidates: int = CANDIDATES
) -> float:
    """similarity (N, N): image i against caption j, caption i being image i's own; key (N,):
    equal for equal caption strings. The share of images whose own caption scores strictly above
    ``candidates - 1`` random captions of other text."""
    n = len(similarity)
    others = key[:, None] != key[None, :]  # (N, N) usable as distractors
    k = candidates - 1
    if int(others.sum(1).min()) < k:
        raise ValueError(f"every caption needs {k} differing captions among the {n} scored")
    gen = torch.Generator().manual_seed(seed)
    # k random distractors per row: the top-k of random scores over the usable columns.
    score = torch.rand(n, n, generator=gen).masked_fill(~others.cpu(), -1.0)
    pick = score.topk(k, dim=1).indices.to(similarity.device)  # (N, k)
    own = similarity.diagonal()[:, None]  # (N, 1)
    return float((similarity.gather(1, pick) < own).all(1).float().mean())
