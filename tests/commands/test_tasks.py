"""commands/tasks.py: `ganforge tasks` lists the registered families, plug-ins marked."""

from ganforge.cli import main
from ganforge.tasks import TASKS, register_task
from ganforge.tasks.gan import GANTask


def test_tasks_lists_built_in_and_plug_in_families(capsys):
    with TASKS.restored():

        @register_task("listed-plugin")
        class Listed(GANTask):
            """A family from outside ganforge."""

        assert main(["tasks"]) == 0
    lines = capsys.readouterr().out.splitlines()
    names = [ln.split()[0] for ln in lines]
    assert names[:5] == ["gan", "pix2pix", "cyclegan", "srgan", "r3gan"]
    plugin = next(ln for ln in lines if ln.startswith("listed-plugin"))
    assert "A family from outside ganforge." in plugin and f"[plug-in: {__name__}]" in plugin
    assert "plug-in" not in lines[0]
