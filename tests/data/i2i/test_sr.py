"""data/i2i/sr.py: super-resolution data: native-resolution tiles of photos, or resized images."""

import numpy as np
import pytest
from PIL import Image

from ganforge.config import load_config
from ganforge.errors import GanforgeError
from ganforge.tasks import load_task_data as load_i2i_data


def _rgb(h, w, value):
    return Image.fromarray(np.full((h, w, 3), value, dtype=np.uint8))


def _sr_config(folder, **over):
    base = {
        "data.source": f"folder:{folder}",
        "data.resolution": 16,
        "i2i.load_size": 32,
        "i2i.content_loss": "l1",
    }
    return load_config("srgan-x4", {**base, **over})


def test_sr_native_tiles_keep_the_photos_resolution(tmp_path, monkeypatch):
    import ganforge.data.i2i.sr as S

    rng = np.random.default_rng(0)
    big = rng.integers(0, 256, (70, 100, 3), dtype=np.uint8)  # a grid of 2 x 3 tiles of 32 px
    Image.fromarray(big).save(tmp_path / "big.png")
    _rgb(20, 40, 7).save(tmp_path / "small.png")  # shorter than a tile: skipped, counted
    (tmp_path / "broken.png").write_bytes(b"not a png")
    d = load_i2i_data(_sr_config(tmp_path))
    assert d.images.shape == (6, 3, 32, 32)
    top, left = (70 - 64) // 2, (100 - 96) // 2  # the grid is centred
    first = big[top : top + 32, left : left + 32].transpose(2, 0, 1)
    assert np.array_equal(d.images[0].numpy(), first)  # no resampling: native pixels
    r = d.report
    assert (r["sr_crops"], r["n_photos"], r["n_too_small"], r["n_skipped"]) == ("native", 1, 1, 1)
    assert any("smaller than the 32 px tiles" in w for w in r["warnings"])
    monkeypatch.setattr(S, "TILES_PER_IMAGE", 4)  # at most 4, spread over the grid
    assert len(load_i2i_data(_sr_config(tmp_path)).images) == 4
    with pytest.raises(GanforgeError, match="all 2 readable .* the 200 px tiles.*sr_crops=resize"):
        load_i2i_data(_sr_config(tmp_path, **{"i2i.load_size": 200}))


def test_sr_resize_warns_when_photos_are_much_larger(tmp_path):
    _rgb(80, 120, 50).save(tmp_path / "a.png")
    d = load_i2i_data(_sr_config(tmp_path, **{"i2i.sr_crops": "resize"}))
    assert d.images.shape == (1, 3, 32, 32) and d.report["sr_crops"] == "resize"
    assert any("~80 px and are scaled down" in w for w in d.report["warnings"])
    fashion = load_config("srgan-fashion-x4", {"data.split": "test", "data.max_images": 10})
    assert load_i2i_data(fashion).report["sr_crops"] == "resize (data set)"
