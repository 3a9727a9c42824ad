"""``ganforge pretrained`` and the commands that take ``pretrained:NAME`` / a model folder."""

from __future__ import annotations

import json

from PIL import Image

from ganforge.hub import pretrained as P

NAME = next(iter(P.shipped()))


def test_lists_the_shipped_models_with_their_scores(ganforge_cli):
    out = ganforge_cli("pretrained").out
    card = json.loads((P.ROOT / NAME / "config.json").read_text())["card"]
    row = next(line for line in out.splitlines() if line.startswith(NAME))
    assert f"{card['metrics']['fd_fmnist']:.2f}" in row and card["protocol"]["hash"] in row
    assert ganforge_cli("pretrained", NAME).out.startswith("---\nlibrary_name: ganforge")


def test_sample_from_a_shipped_model_needs_no_run(ganforge_cli, tmp_path):
    grid = tmp_path / "grid.png"
    ganforge_cli("sample", f"pretrained:{NAME}", "--n", "16", "--grid", grid)
    assert Image.open(grid).size == (4 * 34 + 2, 4 * 34 + 2)


def test_unknown_name_is_one_line_exit_2(ganforge_cli):
    err = ganforge_cli("sample", "pretrained:nope", "--n", "4", "--grid", "g.png", code=2).err
    assert NAME in err


def test_reexport_of_a_shipped_model_keeps_its_card(ganforge_cli, tmp_path):
    out = tmp_path / "again"
    ganforge_cli("export", f"pretrained:{NAME}", "--format", "hub", "--out", out)
    card = json.loads((out / "config.json").read_text())["card"]
    assert card == json.loads((P.ROOT / NAME / "config.json").read_text())["card"]
    err = ganforge_cli("export", f"pretrained:{NAME}", "--format", "hub", "--out", out, code=2).err
    assert "not an empty folder" in err
