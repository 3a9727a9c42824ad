"""tasks/registry.py: what model.task names, register_task's rules, and the lookups the rest of
ganforge makes through it (plug-in loading: tests/test_plugins.py)."""

from dataclasses import dataclass

import pytest
import torch

from ganforge.config import SECTIONS, Config, config_from_dict, load_config
from ganforge.errors import GanforgeError
from ganforge.tasks import TASKS, Task, build_task, check_config, task_class
from ganforge.tasks.gan import GANTask
from ganforge.tasks.registry import register_task
from helpers import random_images


@pytest.fixture
def restore_registry():
    """Undo what a test registers: TASKS and the config sections are process-wide tables."""
    with TASKS.restored(), SECTIONS.restored():
        yield


def test_the_built_in_tasks_are_registered_under_their_names():
    assert {"gan", "pix2pix", "cyclegan", "srgan"} <= set(TASKS)
    for name, cls in TASKS.items():
        assert issubclass(cls, Task) and cls.name == name
    assert task_class("gan") is GANTask and task_class(Config()) is GANTask


def test_an_unknown_task_is_one_line_with_a_suggestion():
    with pytest.raises(GanforgeError) as e:
        task_class("cyclgan")
    message = str(e.value)
    assert "\n" not in message
    assert message.startswith("unknown task 'cyclgan' (did you mean 'cyclegan'?): use one of gan")
    assert "pix2pix, cyclegan, srgan" in message and "ganforge --plugin MODULE" in message
    with pytest.raises(GanforgeError, match="use one of") as e:
        task_class("zzzzzz")
    assert "did you mean" not in str(e.value)  # nothing close: no suggestion


def test_register_task_refuses_a_taken_name(restore_registry):
    class Mine(Task):
        pass

    with pytest.raises(GanforgeError) as e:
        register_task("gan")(Mine)
    # One line naming both owners: ganforge's module and the plug-in's.
    assert str(e.value) == (
        f"task 'gan' is already registered by ganforge.tasks.gan; {Mine.__module__} cannot "
        "register it too: choose another name"
    )
    assert TASKS["gan"] is GANTask and Mine.name == ""  # nothing changed
    assert register_task("mine")(Mine) is Mine and TASKS["mine"] is Mine and Mine.name == "mine"
    assert register_task("mine")(Mine) is Mine  # the same class again: a module imported twice

    class Other(Task):
        pass

    with pytest.raises(GanforgeError, match="task 'mine' is already registered by"):
        register_task("mine")(Other)


def test_register_task_checks_the_class_and_the_name(restore_registry):
    class Mine(Task):
        pass

    with pytest.raises(TypeError, match="decorates Task subclasses"):
        register_task("x")(object)
    with pytest.raises(TypeError, match="decorates Task subclasses"):
        register_task("x")(lambda: Mine)  # a factory, not the class
    for bad in ("", "my task", "a/b", "x.y"):
        with pytest.raises(ValueError, match="must be letters, digits, - and _"):
            register_task(bad)(Mine)
    assert "x" not in TASKS


def test_built_in_tasks_declare_their_sections_as_plug_ins_do():
    from ganforge.config import (
        AugmentConfig,
        FastGANConfig,
        I2IConfig,
        ProjectedConfig,
        R3GANConfig,
    )

    gan = {"augment": AugmentConfig, "projected": ProjectedConfig}
    assert TASKS["gan"].declared_sections() == gan
    assert TASKS["r3gan"].declared_sections() == {**gan, "r3gan": R3GANConfig}
    assert TASKS["fastgan"].declared_sections() == {**gan, "fastgan": FastGANConfig}
    for name in ("pix2pix", "cyclegan", "srgan"):
        assert TASKS[name].declared_sections() == {"i2i": I2IConfig}
    cfg = config_from_dict({"model": {"task": "cyclegan"}})
    assert "i2i" not in cfg.extra
    check_config(cfg)
    assert isinstance(cfg.extra["i2i"], I2IConfig)  # the defaults, written to config.yaml


def test_a_tasks_section_becomes_a_config_section_with_its_defaults(restore_registry):
    @dataclass
    class MySection:
        width: int = 3

    @register_task("sectioned")
    class Sectioned(GANTask):
        section = ("mysection", MySection)

    assert SECTIONS["mysection"] is MySection
    cfg = config_from_dict({"model": {"task": "sectioned"}, "mysection": {"width": 5}})
    assert cfg.mysection == MySection(5)
    bare = config_from_dict({"model": {"task": "sectioned"}})
    assert "mysection" not in bare.extra
    assert check_config(bare) is Sectioned
    assert bare.mysection == MySection()  # check_config writes the defaults (for config.yaml)


def test_build_task_makes_the_configs_task_on_its_data(tmp_path):
    cfg = config_from_dict(
        {
            "model": {"z_dim": 4, "g_width": 4, "d_width": 4},
            "data": {"resolution": 32},
            "train": {"batch_size": 8},
        }
    )
    task = build_task(cfg, random_images(n=16), torch.device("cpu"), "fp32")
    assert type(task) is GANTask and task.cfg is cfg and set(task.nets) == {"G", "D"}


def test_a_discriminator_a_task_does_not_offer_is_one_line_naming_those_that_do():
    cfg = load_config("pix2pix-edges2fashion", {"model.discriminator": "projected"})
    with pytest.raises(
        GanforgeError,
        match="model.task=pix2pix trains with model.discriminator "
        "own, not 'projected'; model.task gan, r3gan, fastgan can",
    ):
        check_config(cfg)
