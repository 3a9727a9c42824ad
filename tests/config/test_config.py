"""config/config.py: the root Config's own checks, plug-in sections and its dict / YAML forms."""

from dataclasses import dataclass

import pytest
import yaml

from ganforge.config import SECTIONS, Config, LossConfig, config_from_dict, register_section
from ganforge.errors import GanforgeError


@dataclass
class Extra:
    depth: int = 2


@pytest.fixture
def extra_section():
    """``extra`` registered as a plug-in section for one test."""
    with SECTIONS.restored():
        register_section("extra_section", Extra)
        yield "extra_section"


@pytest.mark.parametrize("name", ["", "  ", "a/b", "a\\b", "..", "."])
def test_the_name_must_be_a_plain_folder_name(name):
    with pytest.raises(GanforgeError, match="must be a plain run name"):
        Config(name=name)


def test_root_checks_are_one_line_and_name_the_keys():
    with pytest.raises(GanforgeError, match="^out_dir is empty"):
        Config(out_dir=" ")
    with pytest.raises(GanforgeError, match="^loss.clip and loss.gp_weight are two alternatives"):
        Config(loss=LossConfig(clip=0.01, gp_weight=10))
    with pytest.raises(GanforgeError, match=r"^g_optim\.lr=0\.0 must be positive"):
        config_from_dict({"g_optim": {"lr": 0.0}})  # the optimizer checks name their section
    with pytest.raises(GanforgeError, match="'nope' is not a registered section"):
        Config(extra={"nope": Extra()})


def test_register_section_rules(extra_section):
    assert SECTIONS[extra_section] is Extra
    register_section(extra_section, Extra)  # the same class again: fine
    with pytest.raises(GanforgeError) as e:
        register_section(extra_section, dataclass(type("Other", (), {})))
    # One line naming both owners: the module of the class that holds it, and the newcomer's.
    assert str(e.value).startswith("config section 'extra_section' is already registered by ")
    assert "tests" in str(e.value) or "test_config" in str(e.value)
    with pytest.raises(TypeError, match="must be a dataclass"):
        register_section("plain", dict)
    for taken in ("train", "model", "extra", "not valid"):
        with pytest.raises(ValueError, match="is a core section or not an identifier"):
            register_section(taken, Extra)
    assert "plain" not in SECTIONS and "not valid" not in SECTIONS


def test_a_plug_in_section_reads_as_an_attribute_and_is_written_at_the_top(extra_section):
    cfg = config_from_dict({"extra_section": {"depth": 5}})
    assert cfg.extra_section == Extra(5) and cfg.extra == {"extra_section": Extra(5)}
    with pytest.raises(AttributeError, match="Config has no section or field 'nothing'"):
        cfg.nothing  # noqa: B018
    tree = cfg.to_dict()
    assert tree["extra_section"] == {"depth": 5} and "extra" not in tree
    assert config_from_dict(yaml.safe_load(cfg.to_yaml())) == cfg


def test_the_built_in_families_sections_are_registered_not_fields():
    from dataclasses import fields

    from ganforge.config import AugmentConfig, I2IConfig, R3GANConfig

    core = {f.name for f in fields(Config)}
    assert not {"i2i", "r3gan", "augment"} & core
    assert SECTIONS["i2i"] is I2IConfig and SECTIONS["r3gan"] is R3GANConfig
    assert SECTIONS["augment"] is AugmentConfig
    # A config that does not give one reads its defaults; one that does keeps its values.
    assert Config().r3gan == R3GANConfig()
    cfg = config_from_dict({"i2i": {"scale": 2}})
    assert cfg.i2i.scale == 2 and cfg.to_dict()["i2i"]["scale"] == 2


def test_to_dict_holds_every_section_and_round_trips():
    cfg = config_from_dict({"name": "x", "train": {"images": 1000}, "model": {"g_hidden": [8]}})
    tree = cfg.to_dict()
    assert tree["name"] == "x" and tree["train"]["images"] == 1000
    assert tree["model"]["g_hidden"] == [8] and isinstance(tree["data"], dict)
    text = cfg.to_yaml()
    assert text.startswith("name: x\n")  # field order, not sorted: the file reads top-down
    assert config_from_dict(yaml.safe_load(text)) == cfg
