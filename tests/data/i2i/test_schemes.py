"""data/i2i/schemes.py: the two domains of a translation run from data.source (the demos, paired:PATH,
unpaired:PATH, the standard sets), i2i.direction, and what a plain folder is refused with."""

import pytest
import torch

from ganforge.config import load_config
from ganforge.errors import GanforgeError
from ganforge.tasks import load_task_data as load_i2i_data


def test_fashion_demos_and_direction(tmp_path):
    over = {"data.split": "test", "data.max_images": 400}
    d = load_i2i_data(load_config("pix2pix-edges2fashion", over))
    assert d.paired and d.sources.shape == d.images.shape == (400, 1, 32, 32)
    flipped = load_i2i_data(load_config("pix2pix-edges2fashion", {**over, "i2i.direction": "BtoA"}))
    assert torch.equal(flipped.sources, d.images) and flipped.report["direction"] == "BtoA"
    c = load_i2i_data(load_config("cyclegan-fashion", over))
    assert not c.paired and c.report["n_a"] > 20 and c.report["n_b"] > 20
    with pytest.raises(
        GanforgeError,
        match="gives images data; model.task=pix2pix reads pairs data: use paired:PATH",
    ):
        load_i2i_data(load_config("pix2pix-edges2fashion", {"data.source": f"folder:{tmp_path}"}))
