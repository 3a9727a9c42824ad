"""config/r3gan.py: the r3gan section's ranges and [start, end] schedule pairs."""

from __future__ import annotations

import pytest

from ganforge.config import R3GANConfig, load_config
from ganforge.errors import GanforgeError


def test_defaults_and_a_preset_read_back():
    cfg = load_config("r3gan-fashion-mnist")
    assert cfg.model.task == "r3gan" and len(cfg.r3gan.lr) == 2
    assert R3GANConfig().reg_every == 1  # the paper regularises every step


@pytest.mark.parametrize(
    "over,message",
    [
        ({"r3gan.lr": [2e-4]}, r"r3gan\.lr=\[0\.0002\] must be \[start, end\]"),
        ({"r3gan.beta2": [0.9, 1.0]}, r"r3gan\.beta2=1\.0 must be in \[0, 1\)"),
        ({"r3gan.gamma": [-1, 0]}, "r3gan.gamma=-1.0 must be >= 0"),
        ({"r3gan.aug_p": [0, 1.5]}, r"r3gan\.aug_p=1\.5 must be in \[0, 1\]"),
        ({"r3gan.lr": [0, 1e-4]}, "r3gan.lr=0.0 must be positive"),
        ({"r3gan.widths": [64, 0]}, "at most 12 widths, each in"),
        ({"r3gan.reg_every": 0}, "r3gan.reg_every=0 must be at least 1"),
        ({"r3gan.ema_halflife": [0, float("nan")]}, "must be a finite number"),
    ],
)
def test_bad_values_are_one_line(over, message):
    with pytest.raises(GanforgeError, match=message) as e:
        load_config("r3gan-fashion-mnist", over)
    assert "\n" not in str(e.value)
