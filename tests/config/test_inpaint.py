"""config/inpaint.py: the inpainting section's own checks, one line each, and its defaults."""

import pytest

from ganforge.config import InpaintConfig, load_config
from ganforge.errors import GanforgeError


def test_the_defaults_are_the_prototypes_and_the_papers():
    cfg = InpaintConfig()
    assert (cfg.generator, cfg.dilations, cfg.discriminator) == ("gated", [2, 4], "auto")
    assert (cfg.hole_weight, cfg.valid_weight) == (6.0, 1.0)  # Liu et al. 2018
    assert (cfg.mask_kind, cfg.min_share, cfg.max_share) == ("strokes", 0.1, 0.5)


@pytest.mark.parametrize(
    "over,message",
    [
        ({"generator": "gatd"}, r"^inpaint\.generator='gatd' is not one of .*did you mean 'gated'"),
        ({"mask_kind": "boxes"}, r"^inpaint\.mask_kind='boxes' is not one of strokes, rect"),
        ({"discriminator": "patch"}, r"^inpaint\.discriminator='patch' is not one of auto"),
        ({"stages": 3}, r"^inpaint\.stages=3 must be 1 or 2$"),
        ({"dilations": []}, r"^inpaint\.dilations=\[\] must list 1 to 8 rates"),
        ({"min_share": 0.0}, r"^inpaint\.min_share=0\.0 must be in \(0, 1\)"),
        ({"max_share": 1.0}, r"^inpaint\.max_share=1\.0 must be in \(0, 1\)"),
        ({"min_share": 0.5, "max_share": 0.2}, r"min_share=0\.5 is above inpaint\.max_share=0\.2"),
        ({"mask_pool": -1}, r"^inpaint\.mask_pool=-1 must be >= 0"),
        ({"adv_weight": -0.1}, r"^inpaint\.adv_weight=-0\.1 must be >= 0"),
        (
            {"hole_weight": 0.0, "valid_weight": 0.0, "adv_weight": 0.0},
            "all 0: nothing to train",
        ),
    ],
)
def test_each_bad_value_is_one_line_naming_its_key(over, message):
    with pytest.raises(GanforgeError, match=message):
        InpaintConfig(**over)


def test_the_presets_read_with_the_section():
    cfg = load_config("inpaint-fashion", {"inpaint.min_share": 0.2})
    assert cfg.inpaint.min_share == 0.2 and cfg.inpaint.mask_kind == "mixed"
    assert load_config("inpaint-64").inpaint.dilations == [2, 4, 8]
