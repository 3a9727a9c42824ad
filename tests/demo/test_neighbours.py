"""demo/neighbours.py: the encode form's gallery is read and encoded once, and searched nearest
first."""

from __future__ import annotations

import pytest
import torch

from ganforge.data.dataset import ImageData
from ganforge.demo.neighbours import Gallery
from ganforge.errors import GanforgeError


def _gallery(images, calls):
    def load():
        calls.append("load")
        return ImageData(images, None, 0, "g")

    return Gallery(load, size=4)


def _encode(calls):
    def encode(x):
        calls.append(len(x))
        return x.flatten(1).float()  # the pixels are the code

    return encode


def test_the_gallery_is_the_first_images_read_once_and_searched_nearest_first():
    images = torch.tensor([0, 10, 3, 10, 200, 7], dtype=torch.uint8).view(6, 1, 1, 1)
    calls: list = []
    g = _gallery(images, calls)
    found, dist, ids = g.nearest(torch.tensor([9.0]), _encode(calls), k=3)
    assert ids == ["g#1", "g#3", "g#2"]  # equal distances keep the gallery's order
    assert dist.tolist() == [1.0, 1.0, 6.0] and found.flatten().tolist() == [10, 10, 3]
    g.nearest(torch.tensor([0.0]), _encode(calls), k=10)  # k above the gallery: all four
    assert calls == ["load", 4]  # size=4: image 200 never enters; loaded and encoded once
    with pytest.raises(GanforgeError, match="a code of 2 units cannot be compared"):
        g.nearest(torch.zeros(2), _encode(calls))


def test_a_gallery_without_images_is_one_line():
    g = Gallery(lambda: ImageData(torch.zeros(3, 2), None, 0, "toy"))  # 2-D points
    with pytest.raises(GanforgeError, match="holds no images to search"):
        g.nearest(torch.zeros(2), _encode([]))
