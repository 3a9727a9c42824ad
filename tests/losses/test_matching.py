"""losses/matching.py: GAN-CLS's discriminator loss, mismatched pairs, GAN-INT's mixtures."""

import pytest
import torch

from ganforge.losses.adversarial import d_bce, d_hinge
from ganforge.losses.matching import (
    interpolate_embeddings,
    matching_aware_d_loss,
    mismatch_indices,
)


def test_the_real_term_once_and_each_fake_kind_at_half_weight():
    rr, ff, rw = torch.tensor([0.5, 2.0]), torch.tensor([-0.5, 0.3]), torch.tensor([0.2, -2.0])
    want = (1 - rr).clamp(min=0).mean() + 0.5 * (
        (1 + ff).clamp(min=0).mean() + (1 + rw).clamp(min=0).mean()
    )
    got = matching_aware_d_loss(d_hinge, rr, ff, rw)
    assert got.item() == pytest.approx(want.item())
    # Fewer valid mismatches than rows, or none: still their mean, or the plain loss.
    assert matching_aware_d_loss(d_bce, rr, ff, rw[:1]).item() == pytest.approx(
        0.5 * (d_bce(rr, ff) + d_bce(rr, rw[:1])).item()
    )
    assert matching_aware_d_loss(d_hinge, rr, ff, rw[:0]).item() == d_hinge(rr, ff).item()


def test_mismatches_never_pair_an_image_with_its_own_or_an_identical_caption():
    gen = torch.Generator().manual_seed(0)
    for trial in range(200):
        n = 2 + trial % 40
        image = torch.randint(
            max(2, n // 2), (n,), generator=gen
        )  # images repeat (several captions)
        caption = torch.randint(max(2, n // 3), (n,), generator=gen)  # caption strings repeat
        partner, valid = mismatch_indices([image, caption], gen)
        assert sorted(partner.tolist()) == list(range(n))  # each caption used once
        ok = valid.nonzero().squeeze(1)
        assert (partner[ok] != ok).all()
        assert (image[partner[ok]] != image[ok]).all()
        assert (caption[partner[ok]] != caption[ok]).all()
        # Almost every row finds a partner when the keys leave room.
        if n >= 10:
            assert valid.float().mean() > 0.7


def test_a_batch_of_distinct_images_is_a_derangement_and_impossible_rows_are_invalid():
    gen = torch.Generator().manual_seed(1)
    partner, valid = mismatch_indices([torch.arange(16)], gen)
    assert valid.all() and (partner != torch.arange(16)).all()
    again, _ = mismatch_indices([torch.arange(16)], torch.Generator().manual_seed(1))
    assert torch.equal(partner, again)  # reproducible from the generator
    partner, valid = mismatch_indices([torch.tensor([0, 0, 0, 1])], gen)
    assert valid.tolist().count(True) == 2  # one image 1 and one image 0 can swap; the rest cannot
    assert mismatch_indices([torch.tensor([3])])[1].tolist() == [False]
    with pytest.raises(ValueError, match="one entry per item"):
        mismatch_indices([torch.arange(3), torch.arange(4)])


def test_interpolated_embeddings():
    a, b = torch.ones(2, 3), torch.zeros(2, 3)
    assert torch.equal(interpolate_embeddings(a, b, 1.0), a)
    torch.testing.assert_close(interpolate_embeddings(a, b), torch.full((2, 3), 0.5))
    beta = torch.tensor([[0.25], [1.0]])
    torch.testing.assert_close(interpolate_embeddings(a, b, beta)[:, 0], torch.tensor([0.25, 1.0]))


def test_cyclic_mismatch_pairs_each_image_with_another_caption():
    from ganforge.losses.matching import cyclic_mismatch

    gen = torch.Generator().manual_seed(0)
    image = torch.arange(32)
    caption = torch.arange(32) % 20  # items i and i + 20 share a caption string
    partner, valid = cyclic_mismatch([image, caption], gen)
    assert sorted(partner.tolist()) == list(range(32))  # a permutation ...
    assert (partner != image).all()  # ... with no fixed point
    clash = (caption == caption[partner]) | (image == image[partner])
    assert torch.equal(valid, ~clash) and valid.float().mean() > 0.8
    p1, _ = cyclic_mismatch([torch.zeros(1, dtype=torch.long)])
    assert p1.shape == (1,)
