"""commands/upscale.py: the `ganforge upscale` options and how it runs the shared translate loop
(end to end on a trained SRGAN run: test_translate.py::test_upscale_one_file_tiled_like_whole)."""

import argparse

import pytest

from ganforge.commands import upscale
from ganforge.inference.translator import DEFAULT_TILE


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    upscale.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["upscale", *argv])


def test_the_default_tile_is_the_libraries():
    # Repeated in the command so that `ganforge --help` imports no torch: it must not drift.
    assert upscale.DEFAULT_TILE == DEFAULT_TILE
    assert _parse("run", "a.png", "--out", "b.png").tile == DEFAULT_TILE


def test_it_runs_the_translate_loop_without_a_direction(monkeypatch):
    calls = []

    def process(args, direction, tile):
        calls.append((args.run, args.inputs, args.out, direction, tile))
        return 0

    monkeypatch.setattr(upscale, "process", process)
    args = _parse("runs/sr", "a.png", "photos/", "--out", "big/", "--tile", "64")
    assert args.func is upscale.run and args.func(args) == 0
    assert calls == [("runs/sr", ["a.png", "photos/"], "big/", None, 64)]
    assert not hasattr(args, "direction")  # upscaling has one direction


def test_out_is_required(capsys):
    with pytest.raises(SystemExit):
        _parse("runs/sr", "a.png")
    assert "--out" in capsys.readouterr().err
