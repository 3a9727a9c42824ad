"""data/i2i/paired.py: paired image folders (side by side, or aligned A/ and B/ folders)."""

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.data.i2i.paired import load_paired
from ganforge.errors import GanforgeError


def _rgb(h, w, value):
    return Image.fromarray(np.full((h, w, 3), value, dtype=np.uint8))


def test_side_by_side_pairs_with_rgba_16bit_and_corrupt_files(tmp_path):
    train = tmp_path / "facades" / "train"
    train.mkdir(parents=True)
    img = np.zeros((8, 16, 3), dtype=np.uint8)
    img[:, :8] = 40  # A, left
    img[:, 8:] = 200  # B, right
    Image.fromarray(img).save(train / "1.png")
    rgba = np.zeros((8, 16, 4), dtype=np.uint8)
    rgba[..., 3] = 0  # fully transparent: becomes the white background
    Image.fromarray(rgba, "RGBA").save(train / "2.png")
    deep = (np.arange(8 * 16, dtype=np.uint16).reshape(8, 16) * 0 + 65535).astype(np.uint16)
    Image.fromarray(deep).save(train / "3.png")  # 16-bit grey, white
    (train / "4.png").write_bytes(b"not an image")
    d = load_paired(tmp_path / "facades", "train", 8, 1)
    assert d.paired and d.sources.shape == d.images.shape == (3, 1, 8, 8)
    assert d.sources[0].unique().tolist() == [40] and d.images[0].unique().tolist() == [200]
    assert d.sources[1].unique().tolist() == [255] and d.images[2].unique().tolist() == [255]
    assert d.report["n_skipped"] == 1 and d.report["skipped"][0]["file"] == "train/4.png"
    assert d.report["split"] == "train" and d.report["warnings"]
    rgb = load_paired(tmp_path / "facades", "train", 4, 3)
    assert rgb.images.shape == (3, 3, 4, 4)


def test_aligned_folders_pair_by_name_and_refuse_mismatches(tmp_path):
    for side, value in (("A", 10), ("B", 90)):
        (tmp_path / side).mkdir()
        for name in ("x", "y"):
            _rgb(6, 6, value).save(tmp_path / side / f"{name}.png")
    d = load_paired(tmp_path, "train", 6, 3)
    assert len(d) == 2 and int(d.sources.max()) == 10 and int(d.images.min()) == 90
    _rgb(6, 6, 0).save(tmp_path / "A" / "z.png")
    with pytest.raises(GanforgeError, match=r"mismatched pairs.*A/z"):
        load_paired(tmp_path, "train", 6, 3)


def test_no_common_names_pair_in_sorted_order_with_a_warning(tmp_path):
    for side in ("A", "B"):
        (tmp_path / side).mkdir()
        for i in range(3):
            _rgb(4, 4, 10 * i).save(tmp_path / side / f"{i}_{side}.png")
    d = load_paired(tmp_path, "train", 4, 1)
    assert torch.equal(d.sources, d.images)
    assert any("sorted order" in w for w in d.report["warnings"])
    (tmp_path / "B" / "2_B.png").unlink()
    with pytest.raises(GanforgeError, match="A has 3 images and B has 2"):
        load_paired(tmp_path, "train", 4, 1)
