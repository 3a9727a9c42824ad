"""config/projected.py: the projected section's ranges, and its copy of the backgrounds."""

from __future__ import annotations

import pytest

from ganforge.config import ProjectedConfig, load_config
from ganforge.config.projected import BACKGROUNDS
from ganforge.errors import GanforgeError
from ganforge.models import projected


def test_defaults_run_at_the_data_s_own_size_and_backgrounds_match_the_model():
    assert ProjectedConfig().resize_to == 0 and ProjectedConfig().num_scales == 4
    assert set(BACKGROUNDS) == set(projected.BACKGROUNDS)


@pytest.mark.parametrize(
    "over,message",
    [
        ({"projected.num_scales": 5}, "projected.num_scales=5"),
        ({"projected.resize_to": -1}, "projected.resize_to=-1"),
        ({"projected.background": "pink"}, "projected.background='pink' is not one of"),
        ({"model.discriminator": ""}, "model.discriminator is empty"),
    ],
)
def test_bad_values_are_one_line(over, message):
    with pytest.raises(GanforgeError, match=message) as e:
        load_config("fastgan-projected-folder-64", over)
    assert "\n" not in str(e.value)
