"""The matching-aware objective of text-conditioned GANs: which (image, text) pairs D is scored on.

Reed et al. 2016, "Generative Adversarial Text to Image Synthesis" (ICML), section 4 and
Algorithm 1 (GAN-CLS): besides (real image, right text) -> real and (fake image, right text) ->
fake, D sees (real image, wrong text) -> fake, so that it must judge whether image and text
match, not only whether the image is real:

    L_D = l_real(D(x, t)) + 1/2 [l_fake(D(G(z, t), t)) + l_fake(D(x, t_wrong))]

DF-GAN (Tao et al. 2022, section 3.3, eq. 3) keeps this with the hinge loss. Section 4.2 of Reed et
al. (GAN-INT) also conditions G on interpolations beta t1 + (1 - beta) t2 of two captions'
embeddings (beta = 0.5), which have no image: the only loss on them is G's, pulling G's
outputs on the gaps between captions onto the data manifold.

Why here, in ``losses``: the three pieces define the terms of the discriminator and generator
losses of a text-conditioned task and need no network. Building mismatched pairs is part of that
definition (a "wrong" caption that describes the image after all teaches D the wrong thing), so
the rule that decides it lives beside the loss that uses it, as a pure function of the batch's
identities; the task draws the batch and calls it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor


def matching_aware_d_loss(
    d_loss: Callable[[Tensor, Tensor], Tensor],
    real_right: Tensor,
    fake_right: Tensor,
    real_wrong: Tensor,
) -> Tensor:
    """Reed et al.'s L_D with any ``d_loss(real_logits, fake_logits)`` of ``adversarial.LOSSES``.

    The mean of d_loss(real_right, fake_right) and d_loss(real_right, real_wrong): the real term
    once, each "fake" kind with weight 1/2. ``real_wrong`` may hold fewer rows (mismatches only
    where a valid partner exists, see :func:`mismatch_indices`); with none at all the loss is the
    plain d_loss(real_right, fake_right).
    """
    if len(real_wrong) == 0:
        return d_loss(real_right, fake_right)
    return 0.5 * (d_loss(real_right, fake_right) + d_loss(real_right, real_wrong))


def _clash(keys: Sequence[list[int]], i: int, j: int) -> bool:
    # Pairing image i with the caption of item j is wrong when they share any key (same image,
    # same caption text, ...), or j is i itself.
    return i == j or any(k[i] == k[j] for k in keys)


def mismatch_indices(
    keys: Sequence[Tensor], generator: torch.Generator | None = None
) -> tuple[Tensor, Tensor]:
    """A pairing of each item's image with another item's caption: (partner (B,), valid (B,) bool).

    ``keys`` are (B,) integer tensors that must differ between an image and the caption it is
    paired with, e.g. the image id (a caption of the same image is no mismatch) and a caption id
    shared by identical caption strings ("a dark coat" of two images). Start from a random cyclic
    derangement (a single cycle, so no item keeps its own caption), then swap partners to remove
    clashes; an item whose clash no swap removes (a batch of one image's captions) is marked
    invalid and should be left out of the mismatch term.
    """
    if not keys:
        raise ValueError("give at least one key, e.g. the image ids")
    n = len(keys[0])
    if any(len(k) != n for k in keys):
        raise ValueError("every key needs one entry per item")
    rows = [k.tolist() for k in keys]
    if n < 2:
        return torch.zeros(n, dtype=torch.long), torch.zeros(n, dtype=torch.bool)
    order = torch.randperm(n, generator=generator).tolist()
    partner = [0] * n
    for t, i in enumerate(order):
        partner[i] = order[(t + 1) % n]
    for i in order:  # the random order also decides which clash is fixed first
        if not _clash(rows, i, partner[i]):
            continue
        for j in order:
            # Swap the captions of i and j when both pairings become clash-free.
            if not _clash(rows, i, partner[j]) and not _clash(rows, j, partner[i]):
                partner[i], partner[j] = partner[j], partner[i]
                break
    valid = [not _clash(rows, i, partner[i]) for i in range(n)]
    return torch.tensor(partner), torch.tensor(valid)


def cyclic_mismatch(
    keys: Sequence[Tensor], generator: torch.Generator | None = None
) -> tuple[Tensor, Tensor]:
    """The batched twin of :func:`mismatch_indices`, for the training loop: no Python per item.

    A random single-cycle derangement (item ``order[t]`` takes the caption of ``order[t + 1]``),
    and ``valid`` (B,) bool where the pairing clashes on no key (same image, same caption text);
    invalid pairs are left out of the mismatch term instead of repaired by swaps. With distinct
    images in a batch (an image sampler) only repeated caption strings clash, which is rare.
    Returns (partner (B,) int64, valid (B,) bool) on the keys' device.
    """
    if not keys:
        raise ValueError("give at least one key, e.g. the image ids")
    n = len(keys[0])
    if any(len(k) != n for k in keys):
        raise ValueError("every key needs one entry per item")
    device = keys[0].device
    if n < 2:
        return torch.zeros(n, dtype=torch.long, device=device), torch.zeros(
            n, dtype=torch.bool, device=device
        )
    order = torch.randperm(n, generator=generator, device=generator.device if generator else "cpu")
    order = order.to(device)
    partner = torch.empty(n, dtype=torch.long, device=device)
    partner[order] = order.roll(-1)  # (B,): a single cycle, so no item keeps its own caption
    valid = torch.ones(n, dtype=torch.bool, device=device)
    for k in keys:
        valid &= k != k[partner]
    return partner, valid


def interpolate_embeddings(a: Tensor, b: Tensor, beta: float | Tensor = 0.5) -> Tensor:
    """GAN-INT: beta a + (1 - beta) b, for (B, E) sentence embeddings; ``beta`` a number or a
    (B, 1) tensor (e.g. drawn from U[0, 1] for a spread of mixtures)."""
    return beta * a + (1.0 - beta) * b
