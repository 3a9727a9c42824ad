"""AugmentConfig: defaults are the papers', every field is checked with a one-line message."""

import dataclasses

import pytest

from ganforge.augment import ada, diffaugment
from ganforge.config.augment import ADA_GROUPS, DIFFAUGMENT_OPS, AugmentConfig
from ganforge.errors import GanforgeError


def test_defaults_are_valid_and_the_papers():
    cfg = AugmentConfig()
    assert (cfg.policy, cfg.ada_target, cfg.ada_kimg, cfg.ada_interval) == ("none", 0.6, 500, 4)
    assert (cfg.ada_p, cfg.ada_adaptive, cfg.ada_groups) == (0.0, True, "bgc")
    assert cfg.diffaugment == "color,translation,cutout"


def test_option_lists_match_the_ops():
    assert DIFFAUGMENT_OPS == diffaugment.POLICIES
    assert ADA_GROUPS == ada.GROUPS


def test_every_field_has_a_docstring():
    # The string literal under each field becomes CLI help in the config layer.
    import inspect

    source = inspect.getsource(AugmentConfig)
    for f in dataclasses.fields(AugmentConfig):
        after = source.split(f"    {f.name}:", 1)[1].splitlines()[1].strip()
        assert after.startswith('"""'), f.name


@pytest.mark.parametrize(
    "field, value",
    [
        ("policy", "diffaug"),
        ("diffaugment", "color,flip"),
        ("diffaugment", "color,color"),
        ("diffaugment", ""),
        ("ada_groups", "bgx"),
        ("ada_groups", ""),
        ("ada_groups", "bb"),
        ("ada_target", 1.0),
        ("ada_target", 0.0),
        ("ada_kimg", 0.0),
        ("ada_interval", 0),
        ("ada_p", 1.5),
        ("ada_p", -0.1),
        ("ada_p", float("nan")),
    ],
)
def test_bad_values_fail_with_one_line_naming_the_key(field, value):
    with pytest.raises(GanforgeError, match=rf"^augment\.{field}=") as err:
        AugmentConfig(**{field: value})
    assert "\n" not in str(err.value)


def test_policy_typo_gets_a_suggestion():
    with pytest.raises(GanforgeError, match="did you mean 'diffaugment'"):
        AugmentConfig(policy="diffaugmnt")
