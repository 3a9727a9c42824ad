"""data/dataset.py: ImageData, the one in-memory data set every reader returns."""

import torch

from ganforge.data.dataset import ImageData


def test_length_and_kind_follow_the_tensor():
    images = ImageData(torch.zeros(5, 1, 4, 4, dtype=torch.uint8), None, 0, "x")
    points = ImageData(torch.zeros(7, 2), torch.zeros(7, dtype=torch.long), 3, "toy")
    assert (len(images), images.is_image) == (5, True)
    assert (len(points), points.is_image) == (7, False)  # float (N, 2): toy points, not images


def test_each_data_set_gets_its_own_report_and_class_names():
    a = ImageData(torch.zeros(1, 2), None, 0, "a")
    b = ImageData(torch.zeros(1, 2), None, 0, "b")
    a.report["warnings"] = ["x"]
    a.class_names.append("cat")
    assert b.report == {} and b.class_names == []
