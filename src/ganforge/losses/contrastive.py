"""Image-text contrastive loss: the sentence loss of DAMSM, a symmetric InfoNCE.

Xu et al. 2018, "AttnGAN", eq. 10-11 (the sentence-level DAMSM loss): with cosine similarities
R(Q_i, D_j) of image i and sentence j in a batch of B matching pairs,

    P(D_i | Q_i) = exp(gamma3 R(Q_i, D_i)) / sum_j exp(gamma3 R(Q_i, D_j))
    L = -1/B sum_i [log P(D_i | Q_i) + log P(Q_i | D_i)]        (gamma3 = 10)

which is the symmetric InfoNCE of van den Oord et al. 2018 and of CLIP (Radford et al. 2021,
figure 3, with a learned logit scale instead of gamma3). We average the two directions (half of
eq. 11) so the value does not depend on B beyond the log B of chance.

Captions of a data set repeat ("a dark coat" describes many images), and an image has several
captions: treating an identical caption of another image as a negative would push apart pairs that
match. ``positives`` marks every pair that matches; each row's loss is then the log of the
probability mass on all of its positives (the multi-positive form of Khosla et al. 2020,
"Supervised Contrastive Learning", eq. 2 "outside" the log sum).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def same_key_mask(*keys: Tensor) -> Tensor:
    """(B, B) bool: True where items i and j share any of the keys, e.g. an image id or a caption
    id; the diagonal is always True. Each key is a (B,) integer tensor."""
    if not keys:
        raise ValueError("give at least one key")
    mask = torch.zeros(len(keys[0]), len(keys[0]), dtype=torch.bool, device=keys[0].device)
    for k in keys:
        mask |= k[:, None] == k[None, :]
    return mask


def similarity(image: Tensor, text: Tensor) -> Tensor:
    """Cosine similarity R(Q_i, D_j): (B, E) images x (B', E) sentences -> (B, B')."""
    return F.normalize(image, dim=1) @ F.normalize(text, dim=1).T


def _info_nce(logits: Tensor, positives: Tensor | None) -> Tensor:
    # (B, B') logits, rows are queries: -log (sum of exp over positives / sum of exp over all).
    if positives is None:
        return F.cross_entropy(logits, torch.arange(len(logits), device=logits.device))
    pos = logits.masked_fill(~positives, float("-inf")).logsumexp(dim=1)
    return (logits.logsumexp(dim=1) - pos).mean()


def contrastive_loss(
    image: Tensor,
    text: Tensor,
    scale: float | Tensor = 10.0,
    positives: Tensor | None = None,
) -> Tensor:
    """Symmetric InfoNCE of (B, E) image and sentence embeddings, item i matching item i.

    ``scale`` is gamma3 (10 in DAMSM; a learned tensor such as CLIP's exp(t) works too);
    ``positives`` (B, B) bool, True where image i matches sentence j (the diagonal must be True),
    e.g. ``same_key_mask(image_ids, caption_ids)``. Returns a scalar.
    """
    if positives is not None and not bool(positives.diagonal().all()):
        raise ValueError("positives must mark every pair i, i as matching")
    logits = scale * similarity(image, text)  # (B, B): images are rows
    t_pos = None if positives is None else positives.T
    return 0.5 * (_info_nce(logits, positives) + _info_nce(logits.T, t_pos))
