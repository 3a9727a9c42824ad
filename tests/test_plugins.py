"""plugins.py: importing plug-in modules (--plugin and entry points) and reading --plugin off a
command line before it is parsed."""

from types import SimpleNamespace

import pytest

from ganforge import plugins
from ganforge.errors import GanforgeError
from ganforge.plugins import load_plugins, plugin_arguments


def test_load_plugins_imports_modules_and_says_what_failed_in_one_line(monkeypatch):
    monkeypatch.setattr(plugins, "metadata", SimpleNamespace(entry_points=lambda group: []))
    assert load_plugins(["json", "os.path"]) == ["json", "os.path"]
    with pytest.raises(GanforgeError, match="must be an importable module name"):
        load_plugins(["plugins/my_tasks.py"])
    with pytest.raises(GanforgeError, match="^--plugin no_such_mod_xyz: cannot import it") as e:
        load_plugins(["no_such_mod_xyz"])
    assert "\n" not in str(e.value) and "PYTHONPATH" in str(e.value)


def test_entry_points_of_both_groups_load_and_a_broken_one_names_its_package(monkeypatch):
    def boom():
        raise RuntimeError("bad wheel")

    seen = []

    def entry_points(group):
        seen.append(group)
        return [SimpleNamespace(name="theirs", value="their_pkg.plugin", load=boom)]

    monkeypatch.setattr(plugins, "metadata", SimpleNamespace(entry_points=entry_points))
    with pytest.raises(GanforgeError) as e:
        load_plugins([])
    assert seen == ["ganforge.plugins"]
    assert str(e.value) == (
        "the ganforge.plugins entry point theirs (their_pkg.plugin) failed to load "
        "(RuntimeError: bad wheel); fix or uninstall that package"
    )
    good = SimpleNamespace(name="ok", value="ok_pkg.tasks", load=lambda: None)
    monkeypatch.setattr(plugins, "metadata", SimpleNamespace(entry_points=lambda group: [good]))
    # The current group and the group of earlier versions are both read.
    assert load_plugins([]) == ["ok_pkg.tasks", "ok_pkg.tasks"]


def test_a_taken_name_in_an_entry_point_is_one_line_naming_it(monkeypatch):
    def taken():
        raise GanforgeError("task 'gan' is already registered by ganforge.tasks.gan; x cannot")

    entry = SimpleNamespace(name="clash", value="clash.plugin", load=taken)
    monkeypatch.setattr(plugins, "metadata", SimpleNamespace(entry_points=lambda group: [entry]))
    with pytest.raises(GanforgeError, match="^the ganforge.plugins entry point clash: task 'gan'"):
        load_plugins([])


@pytest.mark.parametrize(
    "argv, found",
    [
        (["--plugin", "a", "train"], ["a"]),
        (["--plugin=a", "--plugin", "b.c", "sample", "run"], ["a", "b.c"]),
        (["train", "--plugin", "after"], []),  # after the command: the command's own argument
        (["--version"], []),
        (["--plugin"], []),  # no value: argparse says so later
        ([], []),
    ],
)
def test_plugin_arguments_are_read_before_the_command(argv, found):
    assert plugin_arguments(argv) == found
