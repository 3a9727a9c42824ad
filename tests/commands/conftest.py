from __future__ import annotations

import pytest

from ganforge.cli import main
from tiny_runs import cgan_run, dcgan_run, toy_run  # noqa: F401  (session-scoped fixtures)


@pytest.fixture
def ganforge_cli(capsys):
    """Run ``ganforge ARGS`` in-process -> captured (out, err); checks the exit code, and for
    exit code 2 that stderr is exactly one ``ganforge: error:`` line."""

    def run(*args, code: int = 0):
        rc = main([str(a) for a in args])
        captured = capsys.readouterr()
        assert rc == code, captured.err
        if code == 2:
            lines = captured.err.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("ganforge: error: "), lines
        return captured

    return run
