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


def _record(n: int = 6) -> ImageData:
    images = torch.arange(n, dtype=torch.uint8).view(n, 1, 1, 1).expand(n, 1, 2, 2).clone()
    return ImageData(
        images,
        torch.arange(n) % 3,
        3,
        "set",
        ["a", "b", "c"],
        {"source": "x"},
        ids=[f"file{i}.png" for i in range(n)],
        fields={"caption": [f"item {i}" for i in range(n)], "weight": torch.arange(n) * 10},
    )


def test_subset_keeps_ids_fields_and_labels_aligned_by_slice_list_or_mask():
    data = _record()
    for index in (slice(1, 4), [1, 2, 3], torch.tensor([1, 2, 3])):
        sub = data.subset(index)
        assert sub.images[:, 0, 0, 0].tolist() == [1, 2, 3] and sub.labels.tolist() == [1, 2, 0]
        assert sub.ids == ["file1.png", "file2.png", "file3.png"]
        assert sub.fields["caption"] == ["item 1", "item 2", "item 3"]
        assert sub.fields["weight"].tolist() == [10, 20, 30]
    mask = data.subset(torch.tensor([True, False, False, False, False, True]))
    assert mask.ids == ["file0.png", "file5.png"] and mask.report is data.report
    assert len(data) == 6 and data.ids[0] == "file0.png"  # the original is unchanged


def test_a_subclass_survives_subset_with_its_own_per_item_attributes():
    from ganforge.data.i2i.domains import TwoDomainData

    a = torch.arange(4, dtype=torch.uint8).view(4, 1, 1, 1)
    pairs = TwoDomainData(a + 100, None, 0, "p", sources=a, paired=True)
    sub = pairs.subset([2, 3])
    assert type(sub) is TwoDomainData and sub.sources.flatten().tolist() == [2, 3]
    assert sub.images.flatten().tolist() == [102, 103]
    unpaired = TwoDomainData(a + 100, None, 0, "u", sources=a[:3], paired=False)
    assert unpaired.subset([0]).sources.shape[0] == 3  # A is its own set: untouched
    swapped = pairs.swapped()
    assert torch.equal(swapped.images, a) and torch.equal(swapped.sources, a + 100)


def test_ids_default_to_name_and_index_and_the_checkpoint_records_the_classes():
    plain = ImageData(torch.zeros(3, 2), None, 2, "toy", ["x", "y"])
    assert plain.item_ids() == ["toy#0", "toy#1", "toy#2"]
    assert _record().item_ids()[2] == "file2.png"
    assert plain.checkpoint_meta() == {"num_classes": 2, "class_names": ["x", "y"]}
