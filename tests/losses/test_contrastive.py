"""losses/contrastive.py: DAMSM's sentence loss (symmetric InfoNCE), with repeated captions."""

import math

import pytest
import torch
import torch.nn.functional as F

from ganforge.losses.contrastive import contrastive_loss, same_key_mask, similarity


def test_matches_the_two_softmax_directions_of_damsm():
    torch.manual_seed(0)
    img, txt = torch.randn(5, 8), torch.randn(5, 8)
    cos = F.cosine_similarity(img[:, None], txt[None], dim=2)  # (5, 5)
    logp_t = torch.log_softmax(10 * cos, dim=1).diagonal()  # P(D_i | Q_i)
    logp_i = torch.log_softmax(10 * cos, dim=0).diagonal()  # P(Q_i | D_i)
    want = -0.5 * (logp_t.mean() + logp_i.mean())
    assert contrastive_loss(img, txt).item() == pytest.approx(want.item(), rel=1e-5)
    torch.testing.assert_close(similarity(img, txt), cos)


def test_chance_is_log_b_and_perfect_pairs_score_near_zero():
    e = torch.eye(4)
    assert contrastive_loss(torch.ones(4, 4), torch.ones(4, 4)).item() == pytest.approx(math.log(4))
    assert contrastive_loss(e, e, scale=100.0).item() < 1e-6


def test_identical_captions_are_not_negatives():
    # Items 0 and 1 carry the same caption: with positives marked, their texts are
    # interchangeable and the loss no longer pushes them apart.
    img = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    txt = img.clone()
    same = same_key_mask(torch.tensor([0, 1, 2]), torch.tensor([7, 7, 8]))
    assert same.tolist() == [[True, True, False], [True, True, False], [False, False, True]]
    plain = contrastive_loss(img, txt, scale=20.0)
    aware = contrastive_loss(img, txt, scale=20.0, positives=same)
    assert plain.item() == pytest.approx(2 / 3 * math.log(2), rel=1e-4) and aware.item() < 1e-6
    # The identity mask is the plain loss.
    ident = same_key_mask(torch.arange(3))
    assert contrastive_loss(img, txt, positives=ident).item() == pytest.approx(
        contrastive_loss(img, txt).item(), rel=1e-6
    )
    with pytest.raises(ValueError, match="every pair i, i"):
        contrastive_loss(img, txt, positives=torch.zeros(3, 3, dtype=torch.bool))
