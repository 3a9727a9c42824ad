"""CycleGAN's history of generated images (Shrivastava et al. 2017)."""

import torch

from ganforge.tasks.i2i.image_pool import ImagePool


def _batch(start, n=4):
    return torch.arange(start, start + n, dtype=torch.float32).view(n, 1, 1, 1).expand(n, 1, 2, 2)


def test_fills_first_then_swaps_about_half():
    pool = ImagePool(size=8, seed=0)
    for k in range(2):  # filling: every image comes straight back and is stored
        assert torch.equal(pool.query(_batch(4 * k)), _batch(4 * k))
    assert pool.n == 8
    stored = set(pool.images[:, 0, 0, 0].tolist())
    assert stored == set(range(8))
    swapped, seen = 0, set(range(8))
    for k in range(50):
        new = _batch(100 + 4 * k)
        out = pool.query(new)
        changed = (out != new)[:, 0, 0, 0]
        swapped += int(changed.sum())
        # a swapped-in image is an older fake (possibly one stored earlier in this very batch,
        # as in the reference's one-image-at-a-time loop), and it has left the pool
        seen |= set(new[:, 0, 0, 0].tolist())
        assert set(out[changed, 0, 0, 0].tolist()) <= seen
        assert not set(out[changed, 0, 0, 0].tolist()) & set(pool.images[:, 0, 0, 0].tolist())
    assert 0.35 < swapped / 200 < 0.65  # each image is swapped with probability 1/2


def test_size_zero_passes_through():
    x = _batch(0)
    assert ImagePool(0).query(x) is x


def test_state_round_trip_gives_the_same_future():
    a = ImagePool(size=6, seed=3)
    for k in range(3):
        a.query(_batch(4 * k))
    b = ImagePool(size=6, seed=99)
    b.load_state_dict(a.state_dict(), torch.device("cpu"))
    for k in range(5):
        assert torch.equal(a.query(_batch(50 + 4 * k)), b.query(_batch(50 + 4 * k)))
    assert torch.equal(a.images, b.images)
    empty = ImagePool(size=6)
    empty.load_state_dict(ImagePool(size=6).state_dict(), torch.device("cpu"))
    assert empty.n == 0 and empty.images is None
