"""config/fastgan.py: the fastgan section's ranges and choices."""

from __future__ import annotations

import pytest

from ganforge.config import FastGANConfig, load_config
from ganforge.errors import GanforgeError


def test_defaults_and_the_presets_read_back():
    assert FastGANConfig().recon_weight == 1.0 and FastGANConfig().sle_gap == 0
    cfg = load_config("fastgan-folder-64")
    assert cfg.model.task == "fastgan" and cfg.fastgan.max_width == 256
    assert load_config("fastgan-projected-folder-64").model.discriminator == "projected"


@pytest.mark.parametrize(
    "over,message",
    [
        ({"fastgan.max_width": 0}, "fastgan.max_width=0 must be at least 1"),
        ({"fastgan.recon_weight": -1}, "fastgan.recon_weight=-1.0 must be >= 0"),
        ({"fastgan.recon_metric": "lpips"}, "fastgan.recon_metric='lpips' is not one of mse, l1"),
        ({"fastgan.sle_gap": -1}, "fastgan.sle_gap=-1"),
    ],
)
def test_bad_values_are_one_line(over, message):
    with pytest.raises(GanforgeError, match=message) as e:
        load_config("fastgan-folder-64", over)
    assert "\n" not in str(e.value)
