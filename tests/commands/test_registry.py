"""commands/registry.py: sub-commands as a registry the built-ins and plug-ins fill alike."""

import argparse
import subprocess
import sys
import textwrap

import pytest

from ganforge.cli import main
from ganforge.commands import BUILTIN, COMMANDS
from ganforge.commands.registry import add_all, commands_for, register_command
from ganforge.errors import GanforgeError


def test_every_built_in_command_is_registered_in_order_with_the_uses_it_needs():
    assert list(COMMANDS)[: len(BUILTIN)] == list(BUILTIN)
    assert COMMANDS["sample"].uses == ("sample",) and COMMANDS["upscale"].uses == ("upscale",)
    assert COMMANDS["export"].uses == () and COMMANDS["train"].uses == ()
    assert COMMANDS.owner("sample") == "ganforge.commands.sample"
    assert commands_for(("translate",)) == ["translate"]
    assert "sample" in commands_for(("sample", "class"))


def _hello(sub):
    p = sub.add_parser("hello", help="say hello")
    p.set_defaults(func=lambda args: print("hello") or 0)


def test_a_plug_in_command_runs_and_a_taken_name_names_both(capsys):
    with COMMANDS.restored():
        register_command("hello", _hello)
        assert main(["hello"]) == 0 and capsys.readouterr().out == "hello\n"
        with pytest.raises(GanforgeError) as e:
            register_command("sample", _hello)
        assert str(e.value) == (
            f"command 'sample' is already registered by ganforge.commands.sample; {__name__} "
            "cannot register it too: choose another name"
        )
    assert "hello" not in COMMANDS


def test_a_command_that_parses_another_name_is_refused():
    def wrong(sub):
        sub.add_parser("other")

    with COMMANDS.restored():
        for name in list(COMMANDS):
            COMMANDS.remove(name)
        register_command("right", wrong)
        sub = argparse.ArgumentParser().add_subparsers()
        with pytest.raises(GanforgeError, match="added the sub-command\\(s\\) \\['other'\\]"):
            add_all(sub)


def test_plugin_module_adds_a_command_from_a_fresh_process(tmp_path):
    (tmp_path / "greet_plugin.py").write_text(
        textwrap.dedent(
            """
            from ganforge.commands.registry import register_command

            def register(sub):
                p = sub.add_parser("greet", help="greet someone")
                p.add_argument("who")
                p.set_defaults(func=lambda args: print(f"hi {args.who}") or 0)

            register_command("greet", register)
            """
        )
    )
    env_code = "import sys; from ganforge.cli import main; sys.exit(main(sys.argv[1:]))"
    run = [sys.executable, "-c", env_code, "--plugin", "greet_plugin", "greet", "you"]
    out = subprocess.run(run, capture_output=True, text=True, cwd=tmp_path, env=_env(tmp_path))
    assert out.returncode == 0 and out.stdout == "hi you\n", out.stderr
    without = subprocess.run(
        [sys.executable, "-c", env_code, "greet", "you"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert without.returncode == 2 and "invalid choice: 'greet'" in without.stderr


def _env(path):
    import os

    return {**os.environ, "PYTHONPATH": f"{path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
