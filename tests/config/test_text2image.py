"""config/text2image.py: the section's own range checks."""

import pytest

from ganforge.config.text2image import OUTPUTS, Text2ImageConfig
from ganforge.errors import GanforgeError


def test_defaults_and_refusals():
    t = Text2ImageConfig()
    assert t.matching_aware and t.magp_weight == 2.0 and not t.conditioning_augmentation
    with pytest.raises(GanforgeError, match="divisible"):
        Text2ImageConfig(text_width=30, text_heads=4)
    with pytest.raises(GanforgeError, match="max_length"):
        Text2ImageConfig(max_length=0)
    with pytest.raises(GanforgeError, match="magp_every"):
        Text2ImageConfig(magp_every=0)
    with pytest.raises(GanforgeError, match="g_output='sigmoid' is not one of tanh, linear"):
        Text2ImageConfig(g_output="sigmoid")


def test_the_output_choices_are_the_generators():
    from ganforge.models import dfgan

    assert OUTPUTS == dfgan.OUTPUTS
