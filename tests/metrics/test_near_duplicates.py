"""metrics/near_duplicates.py: binarisation, exact duplicates, collisions, Hamming pairs, groups."""

import json

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics import near_duplicates as nd
from ganforge.metrics.near_duplicates import (
    BinaryCodes,
    binarize,
    center_by_mass,
    collision_groups,
    duplicate_groups,
    exact_duplicate_groups,
    hamming_distances,
    hamming_pairs,
    hamming_pairs_reference,
    keep_mask,
    median_thresholds,
    multi_index_candidates,
)


def _clustered_codes(n: int, bits: int, seed: int = 0) -> BinaryCodes:
    """Codes in clusters (a few bits flipped around random centres): many pairs at small
    distances, the case where the buckets of multi-index hashing are uneven."""
    g = torch.Generator().manual_seed(seed)
    centres = torch.rand(max(1, n // 8), bits, generator=g) < 0.4
    which = torch.randint(len(centres), (n,), generator=g)
    flips = torch.rand(n, bits, generator=g) < 0.03
    flips[::10] = False  # and some exact collisions
    return binarize((centres[which] ^ flips).float() - 0.5)


def test_binarize_is_relu_on_packed_little_endian():
    codes = torch.relu(torch.randn(50, 13, generator=torch.Generator().manual_seed(0)))
    b = binarize(codes)  # the paper's: the ReLU unit is on
    assert b.n_bits == 13 and b.packed.shape == (50, 2) and b.packed.dtype == torch.uint8
    assert torch.equal(b.unpack(), codes > 0)
    k = 10  # bit k of image i lives in byte k // 8 at position k % 8
    assert torch.equal((b.packed[:, k // 8] >> (k % 8)) & 1, (codes[:, k] > 0).to(torch.uint8))
    assert (b.packed[:, 1] >> 5).eq(0).all()  # the padding bits are zero
    assert torch.equal(
        binarize(torch.tensor([[0.0, 1e-6, 0.5]])).unpack(), torch.tensor([[0, 1, 1]]).bool()
    )


def test_a_threshold_per_unit_and_the_median_alternative():
    codes = torch.rand(1001, 16, generator=torch.Generator().manual_seed(0)) + 1  # ReLU always on
    assert binarize(codes).density().eq(1).all()  # at 0 every bit is on: no hash at all
    med = median_thresholds(codes)
    assert med.shape == (16,)
    dens = binarize(codes, med).density()
    assert dens.sub(0.5).abs().max() < 0.01  # each bit on for half the images
    thr = torch.full((16,), 1.5)
    assert torch.equal(binarize(codes, thr).unpack(), codes > 1.5)
    with pytest.raises(GanforgeError, match="codes must be"):
        binarize(torch.zeros(3, 4, 5))


def test_centring_by_mass_undoes_small_shifts(fmnist_test):
    base = torch.nn.functional.pad(fmnist_test[0][:50], (2, 2, 2, 2))  # (50, 1, 32, 32), margin
    shifted = torch.roll(base, shifts=(1, -2), dims=(2, 3))  # the margin keeps the content whole
    assert torch.equal(center_by_mass(shifted), center_by_mass(base))
    centred = center_by_mass(base).float()
    mass = centred.sum((1, 2, 3))
    cy = (centred.sum((1, 3)) * torch.arange(32)).sum(1) / mass
    # the centre of mass within half a pixel, unless a large shift pushed content out of frame
    assert (cy - 15.5).abs().le(0.5 + 1e-6).float().mean() > 0.9


def test_centring_keeps_the_background_and_caps_the_shift():
    white = torch.full((3, 3, 16, 16), 255, dtype=torch.uint8)  # RGB on a white background
    white[0, :, 0:3, 0:3] = 0  # an object in the top left corner
    out = center_by_mass(white, max_shift=2)
    assert out[0, :, 2:5, 2:5].eq(0).all() and out[0].eq(0).sum() == 27  # moved by the cap, 2 px
    assert out[0, :, :2].eq(255).all()  # the vacated rows take the background
    assert torch.equal(out[1:], white[1:])  # blank images stay as they are
    with pytest.raises(GanforgeError, match="uint8"):
        center_by_mass(white.float())


def test_hamming_distances_count_differing_bits():
    a, b = _clustered_codes(30, 70, seed=1), _clustered_codes(20, 70, seed=2)
    expected = (a.unpack()[:, None, :] != b.unpack()[None, :, :]).sum(-1)
    assert torch.equal(hamming_distances(a, b), expected)
    with pytest.raises(GanforgeError, match="cannot be compared"):
        hamming_distances(a, _clustered_codes(3, 12))


def test_exact_duplicates_are_identical_pixels_only():
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (40, 1, 8, 8), dtype=torch.uint8, generator=g)
    images[17] = images[3]
    images[30] = images[3]
    images[25] = images[8]
    images[9] = images[8]
    images[9, 0, 4, 4] ^= 1  # one pixel off by one level: not an exact duplicate
    assert exact_duplicate_groups(images) == [[3, 17, 30], [8, 25]]
    with pytest.raises(GanforgeError, match="uint8"):
        exact_duplicate_groups(images.float())


def test_a_digest_collision_cannot_merge_different_images(monkeypatch):
    class Same:  # every image gets the same digest: the pixel check must split the bucket
        def __init__(self, *args, **kwargs):
            pass

        def digest(self) -> bytes:
            return b"x" * 16

    monkeypatch.setattr(nd.hashlib, "blake2b", Same)
    images = torch.tensor([1, 2, 1, 3, 2, 1], dtype=torch.uint8).view(6, 1, 1, 1)
    assert exact_duplicate_groups(images) == [[0, 2, 5], [1, 4]]


def test_collisions_are_identical_codes():
    codes = torch.tensor([[1.0, 0, 2], [0, 1, 0], [3, 0, 0.5], [0, 0, 0], [0, 2, 0]])
    assert collision_groups(binarize(codes)) == [[0, 2], [1, 4]]


@pytest.mark.parametrize("n_bits", [13, 128])
@pytest.mark.parametrize("radius", [0, 1, 3, 8])
def test_multi_index_hashing_agrees_with_the_exhaustive_twin(n_bits, radius):
    codes = _clustered_codes(200, n_bits, seed=n_bits + radius)
    fast, slow = hamming_pairs(codes, radius), hamming_pairs_reference(codes, radius, block=64)
    assert len(slow) > 0 and torch.equal(fast, slow)
    i, j, d = slow.unbind(1)
    assert (i < j).all() and (d <= radius).all()
    assert torch.equal(d, hamming_distances(codes, codes)[i, j])
    if radius == 8:
        everything = hamming_pairs(codes, n_bits)  # the whole code: every pair
        assert len(everything) == 200 * 199 // 2


def test_the_cost_of_the_radius_search_is_its_candidate_count():
    g = torch.Generator().manual_seed(0)
    n = 2000
    uniform = binarize(torch.rand(n, 128, generator=g) - 0.5)
    # 4 substrings of 32 bits: a random pair shares one with probability ~4 / 2^32
    assert multi_index_candidates(uniform, 3) < 10
    same = binarize(torch.ones(n, 128))  # the worst case: every substring is one bucket
    assert multi_index_candidates(same, 3) == 4 * n * (n - 1) // 2
    assert multi_index_candidates(same, 0) == n * (n - 1) // 2  # collisions: one hash table
    clustered = _clustered_codes(n, 128)
    cand = multi_index_candidates(clustered, 3)
    assert len(hamming_pairs(clustered, 3)) <= cand < n * (n - 1) // 2


@pytest.mark.parametrize("radius", [-1, 129, 2.0, True])
def test_a_radius_outside_the_code_is_refused_in_one_line(radius):
    codes = binarize(torch.rand(4, 128))
    for call in (hamming_pairs, hamming_pairs_reference, duplicate_groups, multi_index_candidates):
        with pytest.raises(GanforgeError, match="Hamming radius must be an integer from 0 to") as e:
            call(codes, radius)
        assert "\n" not in str(e.value) and "128 bits" in str(e.value)


def _random_hash(images: torch.Tensor, bits: int = 256) -> torch.Tensor:
    """A stand-in for a trained encoder: ReLU of random projections of the centred pixels
    (sign random projections, Charikar 2002), so near copies get near codes."""
    x = images.reshape(len(images), -1).float() / 127.5 - 1
    w = torch.randn(x.shape[1], bits, generator=torch.Generator().manual_seed(0))
    return torch.relu((x - x.mean(0)) @ w)  # (N, bits) >= 0


def test_planted_duplicates_are_grouped_and_distinct_images_are_not(fmnist_test):
    base = fmnist_test[0][:300]  # uint8 (300, 1, 28, 28), distinct Fashion-MNIST images
    g = torch.Generator().manual_seed(0)
    noisy = (base[:20].float() + torch.randn(20, 1, 28, 28, generator=g) * 3).round()
    brighter = (base[20:40].float() * 1.05).round()
    images = torch.cat([base, base[40:60], noisy.clamp(0, 255).to(torch.uint8)])
    images = torch.cat([images, brighter.clamp(0, 255).to(torch.uint8)])  # (360, 1, 28, 28)
    codes = binarize(_random_hash(images))
    groups = duplicate_groups(codes, radius=12, images=images)
    # 300-319: exact copies of 40-59; 320-339: noisy copies of 0-19; 340-359: brighter 20-39
    expected = sorted([[40 + k, 300 + k] for k in range(20)] + [[k, 320 + k] for k in range(40)])
    assert sorted(gr.members for gr in groups) == expected
    # exact copies (300-319 of 40-59) have identical pixels and codes; near ones do not
    exact = [gr for gr in groups if gr.representative in range(40, 60)]
    assert all(gr.same_pixels == [True, True] and gr.distances == [0, 0] for gr in exact)
    near = [gr for gr in groups if gr.representative < 40]
    assert all(gr.same_pixels == [True, False] and gr.distances[1] <= 12 for gr in near)
    assert max(gr.distances[1] for gr in near) > 0  # near, not identical, codes
    keep = keep_mask(len(images), groups)
    assert keep[:300].all() and not keep[300:].any()  # keep the originals, drop every copy


def test_exact_copies_are_found_whatever_their_codes():
    images = torch.arange(6, dtype=torch.uint8).view(6, 1, 1, 1).repeat(1, 1, 2, 2)
    images[4] = images[1]
    codes = torch.eye(6) * 10  # every code differs, the copy's too (e.g. a noisy encoder)
    assert duplicate_groups(binarize(codes), 0) == []
    (group,) = duplicate_groups(binarize(codes), 0, images)
    assert (
        group.members == [1, 4] and group.distances == [0, 2] and group.same_pixels == [True, True]
    )


def test_many_identical_codes_are_one_group_without_quadratic_pairs():
    codes = torch.zeros(20_000, 64)  # e.g. blank images: one code for all
    codes[::2, 0] = 1  # and their neighbours at one bit
    codes[-1, :] = 1  # and one image far from all
    (group,) = duplicate_groups(binarize(codes), radius=1)  # 2e8 pairs if taken one by one
    assert group.members == list(range(19_999)) and set(group.distances) == {0, 1}


def test_groups_chain_sort_and_serialise():
    on = {2: [0, 1, 2, 3], 5: [0, 1, 2, 3, 4], 7: [0, 1, 2, 3, 5], 0: [8, 9, 10, 11]}
    on |= {3: [8, 9, 10, 11], 1: [12, 13, 14, 15], 4: [6, 7], 6: [6, 7, 8, 9]}
    bits = torch.zeros(8, 16)
    for i, ks in on.items():
        bits[i, ks] = 1
    # 5 ~ 2 ~ 7 within one bit each (5 and 7 are two apart), 0 = 3 collide, 4 and 6 two apart
    codes = binarize(bits)
    groups = duplicate_groups(codes, radius=1)
    assert [g.members for g in groups] == [[2, 5, 7], [0, 3]]  # largest first
    assert groups[0].distances == [0, 1, 1] and groups[0].representative == 2
    assert groups[0].same_pixels is None  # grouped without the images
    assert json.loads(json.dumps(groups[0].to_dict())) == {
        "representative": 2,
        "members": [2, 5, 7],
        "distances": [0, 1, 1],
        "same_pixels": None,
    }
    assert keep_mask(8, groups).tolist() == [True, True, True, False, True, False, True, False]
    with pytest.raises(GanforgeError, match="one code an image"):
        duplicate_groups(codes, 1, torch.zeros(3, 1, 2, 2, dtype=torch.uint8))
