"""data/i2i/unpaired.py: two unpaired image domains (trainA/, trainB/, ...)."""

import numpy as np
import pytest
from PIL import Image

from ganforge.data.i2i.unpaired import load_unpaired
from ganforge.errors import GanforgeError


def _rgb(h, w, value):
    return Image.fromarray(np.full((h, w, 3), value, dtype=np.uint8))


def test_unpaired_domains_and_their_errors(tmp_path):
    for d, n in (("trainA", 3), ("trainB", 5)):
        (tmp_path / d).mkdir()
        for i in range(n):
            _rgb(10, 14, 50).save(tmp_path / d / f"{i}.jpg")
    data = load_unpaired(tmp_path, "train", 8, 3)
    assert not data.paired and data.sources.shape[0] == 3 and data.images.shape[0] == 5
    assert len(data) == 3
    with pytest.raises(GanforgeError, match="no testA/ and testB/"):
        load_unpaired(tmp_path, "test", 8, 3)
    for f in (tmp_path / "trainB").iterdir():
        f.unlink()
    with pytest.raises(GanforgeError, match=r"trainB has no image files"):
        load_unpaired(tmp_path, "train", 8, 3)
