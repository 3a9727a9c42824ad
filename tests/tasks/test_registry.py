"""tasks/registry.py: what model.task names, register_task's rules, plug-in loading, and the
lookups the rest of ganforge makes through it."""

from dataclasses import dataclass
from types import SimpleNamespace

import pytest
import torch

from ganforge.config import SECTIONS, Config, config_from_dict
from ganforge.errors import GanforgeError
from ganforge.tasks import TASKS, Task, build_task, check_config, registry, task_class
from ganforge.tasks.gan import GANTask
from ganforge.tasks.registry import load_plugins, register_task
from helpers import random_images


@pytest.fixture
def restore_registry():
    """Undo what a test registers: TASKS and the config sections are process-wide tables."""
    tasks, sections = dict(TASKS), dict(SECTIONS)
    yield
    TASKS.clear()
    TASKS.update(tasks)
    SECTIONS.clear()
    SECTIONS.update(sections)


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
    assert message.startswith("model.task='cyclgan' is not one of gan, pix2pix, cyclegan, srgan")
    assert "(did you mean 'cyclegan'?)" in message and "ganforge --plugin MODULE" in message
    with pytest.raises(GanforgeError, match="is not one of") as e:
        task_class("zzzzzz")
    assert "did you mean" not in str(e.value)  # nothing close: no suggestion


def test_register_task_refuses_a_taken_name(restore_registry):
    class Mine(Task):
        pass

    with pytest.raises(ValueError, match=r"task 'gan' is already registered \(GANTask\)"):
        register_task("gan")(Mine)
    assert TASKS["gan"] is GANTask and Mine.name == ""  # nothing changed
    assert register_task("mine")(Mine) is Mine and TASKS["mine"] is Mine and Mine.name == "mine"
    assert register_task("mine")(Mine) is Mine  # the same class again: a module imported twice

    class Other(Task):
        pass

    with pytest.raises(ValueError, match=r"already registered \(Mine\)"):
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


def test_load_plugins_imports_modules_and_says_what_failed_in_one_line(monkeypatch):
    monkeypatch.setattr(registry, "metadata", SimpleNamespace(entry_points=lambda group: []))
    assert load_plugins(["json", "os.path"]) == ["json", "os.path"]
    with pytest.raises(GanforgeError, match="must be an importable module name"):
        load_plugins(["plugins/my_tasks.py"])
    with pytest.raises(GanforgeError, match="^--plugin no_such_mod_xyz: cannot import it") as e:
        load_plugins(["no_such_mod_xyz"])
    assert "\n" not in str(e.value) and "PYTHONPATH" in str(e.value)


def test_a_broken_entry_point_names_its_package(monkeypatch):
    def boom():
        raise RuntimeError("bad wheel")

    seen = []

    def entry_points(group):
        seen.append(group)
        return [SimpleNamespace(name="theirs", value="their_pkg.tasks", load=boom)]

    monkeypatch.setattr(registry, "metadata", SimpleNamespace(entry_points=entry_points))
    with pytest.raises(GanforgeError) as e:
        load_plugins([])
    assert seen == ["ganforge.tasks"]
    assert str(e.value) == (
        "the ganforge.tasks entry point theirs (their_pkg.tasks) failed to load "
        "(RuntimeError: bad wheel); fix or uninstall that package"
    )
    good = SimpleNamespace(name="ok", value="ok_pkg.tasks", load=lambda: None)
    monkeypatch.setattr(registry, "metadata", SimpleNamespace(entry_points=lambda group: [good]))
    assert load_plugins([]) == ["ok_pkg.tasks"]


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
