import numpy as np
import torch

from ganforge.explore.figure import compose
from ganforge.explore.sample import draw
from ganforge.explore.sheet import sheet
from ganforge.images import to_uint8
from ganforge.runs import load_run


def test_sheet_tiles_are_the_samples_with_numbers_under_them(dcgan_run):
    run = load_run(dcgan_run)
    s = draw(run.G, 10, seed=7, start=20)
    fig = sheet(s, cols=5, scale=2)  # (H, W, 1)
    tile = to_uint8(s.images[:1])[0, 0].numpy().repeat(2, 0).repeat(2, 1)  # sample 20, 64x64
    assert np.array_equal(fig[4 : 4 + 64, 4 : 4 + 64, 0], tile)
    caption = fig[4 + 64 : 4 + 64 + 10, 4 : 4 + 64, 0]
    assert caption.min() < 128  # the number is written under the image
    blank = compose([[torch.zeros(1, 32, 32, dtype=torch.uint8)] * 5] * 2, scale=2)
    assert fig.shape[1] == blank.shape[1] and fig.shape[0] > blank.shape[0]  # caption rows
