"""``ganforge pretrained`` and the commands that take ``pretrained:NAME`` / a model folder."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from ganforge.explore.hub_export import save_pretrained
from ganforge.hub import pretrained as P
from ganforge.runs import load_run

NAME = next(iter(P.shipped()))


@pytest.fixture
def hub_folder(dcgan_run, tmp_path):
    """The tiny unconditional run (commands/conftest.py) exported as a model folder."""
    return save_pretrained(load_run(dcgan_run), tmp_path / "tiny-gan")


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


def test_invert_without_a_discriminator_uses_pixels_and_says_so(ganforge_cli, tmp_path):
    target = tmp_path / "t.png"
    Image.fromarray((np.arange(32 * 32) % 256).astype(np.uint8).reshape(32, 32)).save(target)
    err = ganforge_cli(
        "invert",
        f"pretrained:{NAME}",
        target,
        "--steps",
        "2",
        "--restarts",
        "1",
        "--out",
        tmp_path / "inv.png",
    ).err
    assert "ships no discriminator: inverting with the pixel loss only" in err
    assert (tmp_path / "inv.png").is_file()


def test_eval_of_a_read_only_model_writes_into_the_working_folder(
    ganforge_cli, hub_folder, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in hub_folder.iterdir())
    ganforge_cli("eval", hub_folder, "--n", "500", "--metrics", "fd", "--features", "fmnist")
    assert sorted(p.name for p in hub_folder.iterdir()) == before  # nothing written beside it
    (result,) = (tmp_path / "eval").glob("eval-*-fmnist.json")
    assert json.loads(result.read_text())["metrics"]["fd_fmnist"] > 0


def test_report_of_a_shipped_model_goes_to_the_working_folder(ganforge_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ganforge_cli("report", f"pretrained:{NAME}")
    page = (tmp_path / f"report-pretrained-{NAME}.html").read_text()
    assert "fd_fmnist" in page and "final samples" in page


def test_train_init_takes_the_models_config_and_refuses_a_mismatch(ganforge_cli, tmp_path):
    import yaml

    out = ganforge_cli(
        "train", "--data", f"folder:{tmp_path}", "--init", f"pretrained:{NAME}", "--dry-run"
    ).out
    cfg = yaml.safe_load(out)
    assert cfg["train"]["init"] == f"pretrained:{NAME}" and cfg["data"]["source"].startswith(
        "folder:"
    )
    assert cfg["data"]["resolution"] == 32 and cfg["model"]["g_width"] == 64
    assert cfg["out_dir"] == "runs"  # where the shipped model was trained is not inherited
    err = ganforge_cli("train", "--resume", tmp_path, "--init", f"pretrained:{NAME}", code=2).err
    assert "drop --init" in err
    err = ganforge_cli(
        "train",
        "--init",
        f"pretrained:{NAME}",
        "--set",
        "model.g_width=32",
        "--set",
        "train.images=64",
        "--out",
        tmp_path / "runs",
        code=2,
    ).err
    assert "model.g_width=64 and this run 32: the architectures must match" in err
