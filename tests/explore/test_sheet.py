from dataclasses import replace

import numpy as np
import torch

from ganforge.explore.figure import compose
from ganforge.explore.sample import draw
from ganforge.explore.sheet import captions, sheet
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


def test_a_conditional_sheet_names_each_sample_class(cgan_run):
    run = load_run(cgan_run)
    s = draw(run.G, 12, seed=7, num_classes=run.num_classes)
    text = captions(s, run.class_names)
    names = run.class_names or [f"class {k}" for k in range(10)]
    assert text[0] == f"0\n{names[0]}" and text[11] == f"11\n{names[1]}"  # i has class i mod 10
    assert captions(draw(run.G, 2, seed=7, start=3, num_classes=10, label=5))[1] == "4\nclass 5"
    one_line = sheet(replace(s, y=None), cols=4, scale=2)  # the same without classes
    two_lines = sheet(s, cols=4, scale=2, class_names=run.class_names)
    assert two_lines.shape[1] == one_line.shape[1] and two_lines.shape[0] > one_line.shape[0]
    # The tile of sample 5 is sample 5 drawn with its own class.
    tile = to_uint8(s.images[5:6])[0, 0].numpy().repeat(2, 0).repeat(2, 1)
    row_h = (two_lines.shape[0] - 4) // 3
    assert np.array_equal(two_lines[4 + row_h : 4 + row_h + 64, 4 + 68 : 4 + 68 + 64, 0], tile)
