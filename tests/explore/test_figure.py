"""explore/figure.py: labelled figures of generated images: enlargement, layout, captions, outline."""

import numpy as np
import torch

from ganforge.explore.figure import BACKGROUND, OUTLINE, auto_scale, compose, upscale


def _tile(value: int, c: int = 1, h: int = 3, w: int = 4) -> torch.Tensor:
    return torch.full((c, h, w), value, dtype=torch.uint8)


def test_auto_scale_is_a_whole_number_towards_the_target():
    assert [auto_scale(s) for s in (8, 28, 32, 64, 200)] == [8, 2, 2, 1, 1]
    assert auto_scale(10, target=35) == 4  # round(3.5): banker's rounding gives 4


def test_upscale_repeats_pixels_without_smoothing():
    x = torch.arange(4, dtype=torch.uint8).view(1, 1, 2, 2)
    big = upscale(x, 3)
    assert big.shape == (1, 1, 6, 6) and set(big.unique().tolist()) == {0, 1, 2, 3}
    assert torch.equal(big[0, 0, :3, :3], torch.zeros(3, 3, dtype=torch.uint8))
    assert torch.equal(big[0, 0, 3:, 3:], torch.full((3, 3), 3, dtype=torch.uint8))
    assert upscale(x, 1) is x


def test_tiles_sit_on_a_white_grid_and_none_leaves_a_gap():
    fig = compose([[_tile(10), None, _tile(20)], [_tile(30)]], scale=2, pad=4)
    h, w = 3 * 2, 4 * 2
    assert fig.shape == (4 + 2 * (h + 4), 4 + 3 * (w + 4), 1) and fig.dtype == np.uint8
    assert (fig[4 : 4 + h, 4 : 4 + w] == 10).all()
    assert (fig[4 : 4 + h, 4 + 2 * (w + 4) : 4 + 2 * (w + 4) + w] == 20).all()
    assert (fig[4 + h + 4 : 4 + 2 * h + 4, 4 : 4 + w] == 30).all()
    assert (fig[4 : 4 + h, 4 + w + 4 : 4 + 2 * w + 4] == BACKGROUND).all()  # the None slot
    assert (fig[:4] == BACKGROUND).all() and (fig[:, :4] == BACKGROUND).all()


def test_row_labels_and_captions_make_room_and_are_drawn():
    bare = compose([[_tile(200)]], pad=4)
    labelled = compose([[_tile(200)]], row_labels=["= a - b + c"], captions=[["7\nshirt"]], pad=4)
    assert labelled.shape[1] > bare.shape[1] and labelled.shape[0] > bare.shape[0]
    assert (labelled[:, :4] == BACKGROUND).all()
    assert (labelled < 100).any()  # black text somewhere (the tile itself is 200)
    many = compose([[_tile(200)]], captions=[["a very long caption for a 4 px tile"]])
    one = compose([[_tile(200)]], captions=[["a"]])
    assert many.shape == one.shape  # long captions are shortened to the tile, not widened


def test_an_outline_makes_the_figure_rgb_and_boxes_the_region_just_outside():
    fig = compose([[_tile(0, h=8, w=8)]], scale=2, pad=4, outline=(2, 2, 5, 6))
    assert fig.shape[-1] == 3
    left, top = 4, 4
    assert tuple(fig[top + 2 * 2 - 1, left + 2 * 2 - 1]) == OUTLINE  # the box's corner
    assert tuple(fig[top + 2 * 2, left + 2 * 2]) == (0, 0, 0)  # its first pixel is untouched
    assert tuple(fig[top + 6 * 2, left + 5 * 2]) == OUTLINE  # the far corner, exclusive ends
    colour = compose([[_tile(5, c=3)]])
    assert colour.shape[-1] == 3 and (colour[4:7, 4:8] == 5).all()
