"""masks/pool.py: a pool drawn once from a seed serves batches in its band, with flips."""

import torch

from ganforge.masks.pool import MaskPool
from ganforge.masks.rectangles import random_rectangles
from ganforge.masks.stats import bounding_boxes, missing_share
from ganforge.masks.strokes import random_strokes


def test_pool_is_a_function_of_its_seed():
    a = MaskPool.build(random_strokes, 20, (24, 24), 0.1, 0.2, seed=4, chunk=8)
    b = MaskPool.build(random_strokes, 20, (24, 24), 0.1, 0.2, seed=4, chunk=8)
    c = MaskPool.build(random_strokes, 20, (24, 24), 0.1, 0.2, seed=5, chunk=8)
    assert len(a) == 20 and a.masks.dtype == torch.bool
    assert torch.equal(a.masks, b.masks) and not torch.equal(a.masks, c.masks)
    share = missing_share(a.masks)
    assert (share >= 0.1).all() and (share <= 0.2).all()


def test_samples_keep_the_share_and_vary_by_symmetry():
    pool = MaskPool(random_rectangles(1, (16, 16), 0.1, 0.2, torch.Generator().manual_seed(0))[0])
    mask, boxes = pool.sample(256, torch.Generator().manual_seed(1))
    assert mask.shape == (256, 1, 16, 16) and mask.dtype == torch.float32
    assert torch.equal(boxes, bounding_boxes(mask))
    assert torch.allclose(missing_share(mask), missing_share(pool.masks).expand(256))
    distinct = {tuple(b) for b in boxes.tolist()}
    assert 2 < len(distinct) <= 8  # the symmetries of the square, one rectangle


def test_non_square_masks_are_never_transposed():
    pool = MaskPool(random_rectangles(3, (8, 20), 0.1, 0.3, torch.Generator())[0])
    mask, _ = pool.sample(64, torch.Generator().manual_seed(0))
    assert mask.shape == (64, 1, 8, 20)


def test_sampling_is_seeded():
    pool = MaskPool.build(random_rectangles, 10, (16, 16), 0.1, 0.4, seed=0)
    a, _ = pool.sample(8, torch.Generator().manual_seed(3))
    b, _ = pool.sample(8, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
