"""masks/stats.py: missing share and bounding boxes against hand-made masks."""

import torch

from ganforge.masks.stats import bounding_boxes, missing_share


def test_share_and_boxes_of_hand_made_masks():
    m = torch.zeros(3, 1, 6, 8)
    m[0, 0, 1:3, 2:7] = 1  # a 2 x 5 box
    m[1, 0, 0, 0] = 1
    m[1, 0, 5, 7] = 1  # two corners: the box is the whole image
    assert torch.allclose(missing_share(m), torch.tensor([10 / 48, 2 / 48, 0.0]))
    assert bounding_boxes(m).tolist() == [[1, 2, 3, 7], [0, 0, 6, 8], [0, 0, 0, 0]]
    assert bounding_boxes(m.bool()).dtype == torch.int64
