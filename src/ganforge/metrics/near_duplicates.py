"""Near-duplicate images by semantic hashing: binary codes, hash buckets, Hamming radius, groups.

Radford, Metz & Chintala 2016 (DCGAN, arXiv:1511.06434, section 4.1.1) de-duplicated LSUN
bedrooms with the code of a denoising autoencoder, "binarized via thresholding the ReLU
activation", as a semantic hash (Salakhutdinov & Hinton 2009, "Semantic hashing", IJAR 50(7)):
images whose binary codes collide are near duplicates, found in linear time with a hash table.
Here, on top of that:

- ``binarize``: bit k of an image is code[k] > threshold (0: the paper's "ReLU on"; a tensor of
  per-unit thresholds, e.g. ``median_thresholds``, is the documented alternative), packed 8 bits
  to a byte, so a 128-unit code is a 16-byte hash.
- ``exact_duplicate_groups``: images with the same uint8 pixels, always found whatever the codes:
  a dict keyed by a 128-bit BLAKE2b digest of each image's bytes, then confirmed pixel for pixel
  inside each bucket. Linear time in the number of images N.
- ``collision_groups``: identical codes, a dict keyed by the packed bytes. Linear in N.
- ``hamming_pairs``: every pair whose codes differ in at most ``radius`` bits, by multi-index
  hashing (Norouzi, Punjani & Fleet 2012, "Fast Search in Hamming Space with Multi-Index
  Hashing", CVPR): split the b bits into m = radius + 1 disjoint substrings; by the pigeonhole
  principle two codes within distance r agree exactly on at least one substring, so the candidates
  are the pairs sharing a bucket of some substring, verified by a popcount of the XOR of the full
  codes. Cost: O(N m) to fill the buckets plus O(sum over buckets of |bucket|^2) candidate
  checks, each O(b/8). The second term is what the data decides: it is ~N^2 m / 2^(b/m + 1) for
  uniform codes but grows with clustered ones (many images sharing a common substring), and
  always with the radius, since the substrings get shorter. ``hamming_pairs_reference`` is the
  plain twin: all N^2 / 2 pairs, a blocked popcount, O(N^2 b/8) (the tests check they agree).
  Measured on the 60,000 Fashion-MNIST training images (benchmarks/dedup_prototype.py, on a
  2-core CPU shared with other jobs, so the seconds are indicative only), median thresholds:
  512-bit codes, r = 8 / 10 / 12 / 14: 0.15M / 0.58M / 1.7M / 4.1M candidates, 0.8 / 2.1 / 6.0 /
  13 s (ReLU > 0 thresholds: 0.24M / 0.92M / 2.8M / 7.1M, 2.5 / 3.2 / 9.7 / 24 s); 256-bit codes,
  r = 4 / 8: 0.07M / 4.7M candidates, 0.6 / 6 s. The exhaustive twin: ~1,000-2,000 s there
  (extrapolated from 5,000 codes).
- ``duplicate_groups``: union-find (connected components) of the exact-pixel groups and the code
  pairs, each group with its members, ascending, the first being the representative to keep (the
  lowest index), and each member's Hamming distance to it. ``keep_mask`` drops the rest. Codes
  that collide are linked as a star and searched once, so k identical codes (blank images) cost
  k - 1 links, not k^2 / 2 pairs.
- ``center_by_mass``: an optional canonical position for objects on a plain background, applied
  to the images before they are encoded (and before the autoencoder is trained). A 1-pixel shift
  of a 32 px Fashion-MNIST image flips a median 12 of the 128 code bits, more than separate the
  median image from its nearest distinct neighbour (11); centred, the copy lands on its source.
  In the prototype it took the recall of shifted copies from ~0 to ~0.9 (the DCGAN paper's
  center-crops of LSUN had no such step).

Every function is deterministic: groups are sorted by size (largest first), then representative;
pairs by (i, j).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import scipy.sparse
import scipy.sparse.csgraph
import torch
from torch import Tensor

from ganforge.errors import GanforgeError

# popcount of every byte value: the plain, obviously correct way to count differing bits
_POPCOUNT = torch.tensor([bin(v).count("1") for v in range(256)], dtype=torch.uint8)


def center_by_mass(images: Tensor, max_shift: int | None = None) -> Tensor:
    """Translate each uint8 (N, C, H, W) image so that its centre of mass lies at the image centre:
    a canonical position, so that a copy shifted by a pixel or two hashes like its source.

    The mass of a pixel is its distance from the background (the median of the image's border
    pixels, per channel), summed over channels; vacated pixels take the background. The shift is
    sub-pixel (bilinear): a copy shifted by k pixels is moved by exactly k more with the same
    interpolation weights, so it lands where its source does, and noise that nudges the centre of
    mass by 0.01 px moves the result by 0.01 px only (rounding the shift to whole pixels made 6% of
    noisy copies land a pixel away from their source). Blank images stay as they are. Shifts are
    capped at ``max_shift`` pixels (default a quarter of the shorter side, 8 at 32 px): an image
    pushed to the cap loses the invariance; at 32 px 3.4% of Fashion-MNIST's images sit more than
    4 pixels off centre (shoes and bags are bottom-heavy), 0.5% more than 6.

    Meant for objects on a plain background (Fashion-MNIST, sprites, product photos); on scenes
    that fill the frame the centre of mass barely moves with the content and this does little.
    """
    if images.dtype != torch.uint8 or images.ndim != 4:
        raise GanforgeError(f"centring takes uint8 (N, C, H, W) images, got {images.dtype}")
    n, c, h, w = images.shape
    s = min(h, w) // 4 if max_shift is None else max_shift
    x = images.float()
    border = torch.cat([x[:, :, 0], x[:, :, -1], x[:, :, :, 0], x[:, :, :, -1]], dim=2)
    background = border.median(dim=2).values[:, :, None, None]  # (N, C, 1, 1)
    mass = (x - background).abs().sum(1, dtype=torch.float64)  # (N, H, W)
    total = mass.sum((1, 2))
    blank = total == 0
    total = total.clamp_min(1e-12)
    cy = (mass.sum(2) * torch.arange(h)).sum(1) / total  # (N,)
    cx = (mass.sum(1) * torch.arange(w)).sum(1) / total
    ty = ((h - 1) / 2 - cy).clamp(-s, s).masked_fill(blank, 0)  # the shift, in pixels
    tx = ((w - 1) / 2 - cx).clamp(-s, s).masked_fill(blank, 0)
    p = s + 1  # margin of background, so every index below lands inside
    padded = background.expand(n, c, h + 2 * p, w + 2 * p).clone()  # (N, C, H + 2p, W + 2p)
    padded[:, :, p : p + h, p : p + w] = x
    padded = padded.permute(0, 2, 3, 1)  # (N, H + 2p, W + 2p, C)
    # output(y, x) = input(y - ty, x - tx): floor index and fraction, the same for every pixel
    fy, fx = torch.floor(-ty), torch.floor(-tx)
    wy, wx = (-ty - fy).float()[:, None, None, None], (-tx - fx).float()[:, None, None, None]
    rows = torch.arange(h) + p + fy.long()[:, None]  # (N, H)
    cols = torch.arange(w) + p + fx.long()[:, None]  # (N, W)
    batch = torch.arange(n)[:, None, None]

    def at(dy: int, dx: int) -> Tensor:  # (N, H, W, C)
        return padded[batch, rows[:, :, None] + dy, cols[:, None, :] + dx]

    top = at(0, 0) * (1 - wx) + at(0, 1) * wx
    bottom = at(1, 0) * (1 - wx) + at(1, 1) * wx
    out = top * (1 - wy) + bottom * wy  # (N, H, W, C)
    return out.permute(0, 3, 1, 2).round().clamp(0, 255).to(torch.uint8)


@dataclasses.dataclass(frozen=True)
class BinaryCodes:
    """N binary codes of ``n_bits`` bits each, packed little-endian: bit k of image i is
    ``(packed[i, k // 8] >> (k % 8)) & 1``; the padding bits of the last byte are 0."""

    packed: Tensor  # (N, ceil(n_bits / 8)) uint8
    n_bits: int

    def __post_init__(self) -> None:
        if self.packed.dtype != torch.uint8 or self.packed.ndim != 2:
            raise GanforgeError(f"packed codes must be uint8 (N, B), got {self.packed.dtype}")
        if self.packed.shape[1] != (self.n_bits + 7) // 8:
            raise GanforgeError(f"{self.packed.shape[1]} bytes cannot hold {self.n_bits} bits")

    def __len__(self) -> int:
        return self.packed.shape[0]

    def unpack(self) -> Tensor:
        """(N, n_bits) bool."""
        shifts = torch.arange(8, dtype=torch.uint8)
        bits = (self.packed.unsqueeze(-1) >> shifts) & 1  # (N, B, 8)
        return bits.flatten(1)[:, : self.n_bits].bool()

    def density(self) -> Tensor:
        """(n_bits,) fraction of images with each bit on: a bit always on or always off is no
        hash at all; the paper's ReLU > 0 works when most bits are on for some images only."""
        return self.unpack().double().mean(0)


def binarize(codes: Tensor, threshold: float | Tensor = 0.0) -> BinaryCodes:
    """(N, b) float codes -> BinaryCodes, bit k = codes[:, k] > threshold.

    ``threshold`` is a number (0.0: the paper's "the ReLU is on") or a (b,) tensor of per-unit
    thresholds, such as ``median_thresholds(codes)`` (each bit on for half the images).
    """
    if codes.ndim != 2:
        raise GanforgeError(f"codes must be (N, b), got shape {tuple(codes.shape)}")
    n, b = codes.shape
    bits = codes.detach().cpu().float() > torch.as_tensor(threshold).detach().cpu().float()
    pad = (-b) % 8
    bits = torch.cat([bits, bits.new_zeros(n, pad)], dim=1).view(n, -1, 8)  # (N, B, 8)
    weights = (1 << torch.arange(8, dtype=torch.int32)).to(torch.uint8)  # 1, 2, ..., 128
    packed = (bits.to(torch.uint8) * weights).sum(-1, dtype=torch.int32).to(torch.uint8)
    return BinaryCodes(packed, b)


def median_thresholds(codes: Tensor) -> Tensor:
    """(N, b) -> (b,): each unit's median code, a threshold that turns each bit on for about
    half the images (maximum entropy per bit; Salakhutdinov & Hinton threshold at 0.5 for the
    same reason). Compute it on the set being de-duplicated, or a sample of it."""
    return codes.detach().cpu().float().median(dim=0).values


def _check_radius(radius: int, n_bits: int) -> None:
    if isinstance(radius, bool) or not isinstance(radius, int) or not 0 <= radius <= n_bits:
        raise GanforgeError(
            f"Hamming radius must be an integer from 0 to the code's {n_bits} bits, got {radius!r}"
        )


def hamming_distances(a: BinaryCodes, b: BinaryCodes) -> Tensor:
    """(Na, Nb) int64 number of differing bits: a byte-wise XOR and a popcount table."""
    if a.n_bits != b.n_bits:
        raise GanforgeError(f"codes of {a.n_bits} and {b.n_bits} bits cannot be compared")
    return _popcount_xor(a.packed[:, None, :], b.packed[None, :, :])


def _popcount_xor(a: Tensor, b: Tensor) -> Tensor:
    """Bits that differ between broadcastable uint8 (..., B) tensors -> int64 (...), one byte
    column at a time, so memory stays that of the result, not 8 int64 a byte."""
    d = torch.zeros(torch.broadcast_shapes(a.shape[:-1], b.shape[:-1]), dtype=torch.int64)
    for k in range(a.shape[-1]):
        d += _POPCOUNT[(a[..., k] ^ b[..., k]).long()]
    return d


def _digest_groups(keys: Iterable[bytes]) -> list[list[int]]:
    """Indices with equal keys, buckets of two or more, in first-seen order: one dict pass."""
    buckets: dict[bytes, list[int]] = defaultdict(list)
    for i, key in enumerate(keys):
        buckets[key].append(i)
    return [v for v in buckets.values() if len(v) > 1]


def exact_duplicate_groups(images: Tensor) -> list[list[int]]:
    """Groups (two or more, ascending) of images with identical pixels, uint8 (N, C, H, W).

    Linear time: each image's bytes are hashed once (BLAKE2b, 128 bits, so a memory of 16 bytes
    an image whatever its size); an image joins a group only when its pixels equal the first
    member's, so a digest collision (p ~ N^2 / 2^129) cannot merge different images.
    """
    if images.dtype != torch.uint8:
        raise GanforgeError(f"exact duplicates are found on uint8 pixels, got {images.dtype}")
    rows = images.reshape(len(images), -1).cpu().numpy()
    digests = (hashlib.blake2b(r.tobytes(), digest_size=16).digest() for r in rows)
    groups = []
    for bucket in _digest_groups(digests):
        # Confirm against the first member; split off anything that differs (never in practice).
        while len(bucket) > 1:
            first = rows[bucket[0]]
            same = [j for j in bucket if np.array_equal(rows[j], first)]
            if len(same) > 1:
                groups.append(same)
            bucket = [j for j in bucket if not np.array_equal(rows[j], first)]
    return sorted(groups)


def collision_groups(codes: BinaryCodes) -> list[list[int]]:
    """Groups (two or more, ascending) of images whose binary codes are identical: the paper's
    hash collisions. Linear time, one dict of the packed bytes."""
    rows = codes.packed.numpy()
    return sorted(_digest_groups(r.tobytes() for r in rows))


def _verified(codes: BinaryCodes, i: Tensor, j: Tensor, radius: int) -> Tensor:
    """(P, 3) rows (i, j, d) of the candidate pairs with d <= radius, in chunks of 2^20 pairs."""
    out = []
    for s in range(0, len(i), 1 << 20):
        a, b = i[s : s + (1 << 20)], j[s : s + (1 << 20)]
        d = _popcount_xor(codes.packed[a], codes.packed[b])  # (P,)
        keep = d <= radius
        out.append(torch.stack([a[keep], b[keep], d[keep]], dim=1))
    return torch.cat(out) if out else torch.zeros(0, 3, dtype=torch.int64)


def _sorted_unique(pairs: Tensor) -> Tensor:
    """Rows (i, j, d) sorted by (i, j), each pair once (a pair shares several substrings)."""
    if len(pairs) == 0:
        return pairs
    # One int64 key per pair: a 1-D sort is far cheaper than torch.unique(dim=0) on rows.
    key = pairs[:, 0] * (int(pairs[:, 1].max()) + 1) + pairs[:, 1]
    order = torch.argsort(key)
    key, pairs = key[order], pairs[order]
    first = torch.ones(len(key), dtype=torch.bool)
    first[1:] = key[1:] != key[:-1]
    return pairs[first]


def _substring_keys(bits: Tensor, m: int) -> list[Tensor]:
    """(N, b) bool -> m (N,) int64 keys of disjoint, near-equal bit ranges (at most 63 bits each,
    which holds whenever b <= 63 m; longer substrings are hashed by their first 63 bits and the
    verification step keeps the answer exact)."""
    keys = []
    for chunk in torch.tensor_split(bits, m, dim=1):
        chunk = chunk[:, :63].long()  # (N, <= 63)
        weights = 1 << torch.arange(chunk.shape[1], dtype=torch.int64)
        keys.append((chunk * weights).sum(1))
    return keys


def _bucket_pairs(key: Tensor) -> tuple[Tensor, Tensor]:
    """All pairs (i < j) of indices with equal keys, without a Python loop over buckets: sort the
    keys, then pair each sorted position with every later position of its run."""
    n = len(key)
    order = torch.argsort(key, stable=True)
    _, counts = torch.unique_consecutive(key[order], return_counts=True)
    run_end = torch.repeat_interleave(torch.cumsum(counts, 0), counts)  # (N,) end of p's run
    partners = run_end - torch.arange(n) - 1  # (N,) later positions in the same run
    first = torch.repeat_interleave(torch.arange(n), partners)  # (P,) sorted position of i
    start = torch.cumsum(partners, 0) - partners  # where each position's pairs begin
    second = first + 1 + torch.arange(len(first)) - start[first]  # (P,) sorted position of j
    i, j = order[first], order[second]
    return torch.minimum(i, j), torch.maximum(i, j)


def hamming_pairs(codes: BinaryCodes, radius: int) -> Tensor:
    """(P, 3) int64 rows (i, j, d), i < j, of every pair of codes within ``radius`` bits, sorted
    by (i, j). Multi-index hashing with radius + 1 substrings: see the module docstring for the
    cost; ``hamming_pairs_reference`` is the exhaustive twin."""
    _check_radius(radius, codes.n_bits)
    if radius == 0:
        groups = collision_groups(codes)
        pairs = [torch.combinations(torch.tensor(g), 2) for g in groups]
        if not pairs:
            return torch.zeros(0, 3, dtype=torch.int64)
        ij = torch.cat(pairs)
        return _sorted_unique(torch.cat([ij, torch.zeros(len(ij), 1, dtype=torch.int64)], 1))
    if radius >= codes.n_bits:  # no r + 1 substrings of b bits: every pair is within reach
        return hamming_pairs_reference(codes, radius)
    found = []
    for key in _substring_keys(codes.unpack(), radius + 1):
        i, j = _bucket_pairs(key)
        found.append(_verified(codes, i, j, radius))
    return _sorted_unique(torch.cat(found))


def multi_index_candidates(codes: BinaryCodes, radius: int) -> int:
    """How many candidate pairs ``hamming_pairs`` verifies: the sum over the radius + 1
    substrings of sum over their buckets of |bucket| (|bucket| - 1) / 2. The data-dependent part of
    the cost; N^2 (r + 1) / 2 at worst (all codes equal), ~N^2 (r + 1) / 2^(b/(r+1) + 1) for
    uniform random codes. Log it to see whether a radius is affordable on a data set."""
    _check_radius(radius, codes.n_bits)
    if radius == 0:  # one hash table of the whole codes: only true collisions pair up
        return sum(len(g) * (len(g) - 1) // 2 for g in collision_groups(codes))
    if radius >= codes.n_bits:
        return len(codes) * (len(codes) - 1) // 2
    total = 0
    for key in _substring_keys(codes.unpack(), radius + 1):
        _, counts = torch.unique(key, return_counts=True)
        total += int((counts * (counts - 1) // 2).sum())
    return total


def _reference_blocks(codes: BinaryCodes, radius: int, block: int) -> Iterator[Tensor]:
    n = len(codes)
    for s in range(0, n, block):
        a = BinaryCodes(codes.packed[s : s + block], codes.n_bits)
        rest = BinaryCodes(codes.packed[s:], codes.n_bits)
        d = hamming_distances(a, rest)  # (block, N - s)
        i, j = torch.nonzero(d <= radius, as_tuple=True)
        upper = j > i  # each pair once, no self-pairs
        i, j = i[upper], j[upper]
        yield torch.stack([i + s, j + s, d[i, j]], dim=1)


def hamming_pairs_reference(codes: BinaryCodes, radius: int, block: int = 256) -> Tensor:
    """The exhaustive twin of ``hamming_pairs``: all N^2 / 2 distances, ``block`` rows at a time
    (memory block x N x bytes). O(N^2 b/8): use it for checks, not for 10^5 images."""
    _check_radius(radius, codes.n_bits)
    blocks = list(_reference_blocks(codes, radius, block))
    return _sorted_unique(torch.cat(blocks)) if blocks else torch.zeros(0, 3, dtype=torch.int64)


@dataclasses.dataclass(frozen=True)
class DuplicateGroup:
    """Images judged duplicates of each other; ``members[0]`` is the one to keep."""

    members: list[int]  # ascending indices; the first (lowest) is the representative
    distances: list[int]  # Hamming distance of each member's code to the representative's
    same_pixels: list[bool] | None  # each member's pixels equal the representative's (None:
    # grouped without the images)

    @property
    def representative(self) -> int:
        return self.members[0]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: representative, members, distances, same_pixels."""
        return {"representative": self.representative, **dataclasses.asdict(self)}


def _components(n: int, pairs: Tensor) -> list[list[int]]:
    """Union-find of the (i, j) pairs over n items: the components of two or more, ascending."""
    pairs = pairs.reshape(-1, 2)
    if len(pairs) == 0:
        return []
    i, j = pairs[:, 0].numpy(), pairs[:, 1].numpy()
    graph = scipy.sparse.coo_matrix((np.ones(len(i), np.int8), (i, j)), shape=(n, n))
    _, labels = scipy.sparse.csgraph.connected_components(graph, directed=False)
    order = np.argsort(labels, kind="stable")  # indices ascending within each label
    _, starts, counts = np.unique(labels[order], return_index=True, return_counts=True)
    return [order[s : s + c].tolist() for s, c in zip(starts, counts) if c > 1]


def duplicate_groups(
    codes: BinaryCodes, radius: int = 0, images: Tensor | None = None
) -> list[DuplicateGroup]:
    """Group images whose codes lie within ``radius`` bits (0: the paper's collisions) and, when
    uint8 ``images`` (N, C, H, W) are given, images with identical pixels whatever their codes.

    Groups are the connected components: A ~ B and B ~ C put A and C together even if their
    codes are further apart (``distances`` shows it). Sorted by size, largest first, then by
    representative.
    """
    _check_radius(radius, codes.n_bits)
    n = len(codes)
    if images is not None and len(images) != n:
        raise GanforgeError(f"{len(images)} images for {n} codes: pass one code an image")
    # Colliding codes first, each set linked as a star to its first member; the radius search
    # then runs on one code per set. k blank images cost k - 1 links, not k^2 / 2 pairs.
    collisions = collision_groups(codes)
    stars = collisions + (exact_duplicate_groups(images) if images is not None else [])
    links = [torch.tensor([[g[0], k] for g in stars for k in g[1:]], dtype=torch.int64)]
    if radius > 0:
        first = torch.ones(n, dtype=torch.bool)
        first[[k for g in collisions for k in g[1:]]] = False
        unique = first.nonzero().squeeze(1)  # (U,) the first image of each distinct code
        pairs = hamming_pairs(BinaryCodes(codes.packed[unique], codes.n_bits), radius)
        links.append(unique[pairs[:, :2]])
    groups = []
    for members in _components(n, torch.cat(links)):
        idx = torch.tensor(members)
        rep = BinaryCodes(codes.packed[idx[:1]], codes.n_bits)
        dist = hamming_distances(rep, BinaryCodes(codes.packed[idx], codes.n_bits))[0]
        same = None
        if images is not None:
            flat = images[idx].reshape(len(idx), -1)  # (k, C*H*W)
            same = (flat == flat[:1]).all(1).tolist()
        groups.append(DuplicateGroup(members, dist.tolist(), same))
    return sorted(groups, key=lambda g: (-len(g.members), g.representative))


def keep_mask(n: int, groups: Iterable[DuplicateGroup]) -> Tensor:
    """(n,) bool: False for every group member but its representative, True for the rest."""
    keep = torch.ones(n, dtype=torch.bool)
    for g in groups:
        keep[g.members[1:]] = False
    return keep
