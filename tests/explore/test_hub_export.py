"""save_pretrained / export --format hub: the folder, the card's scores, what it refuses."""

from __future__ import annotations

import json
import shutil

import pytest

from ganforge.errors import GanforgeError
from ganforge.explore.hub_export import save_pretrained
from ganforge.runs import load_run


def test_the_card_carries_the_runs_eval_result_of_that_checkpoint(dcgan_run, tmp_path):
    copy = shutil.copytree(dcgan_run, tmp_path / "run")  # the shared run stays untouched
    run = load_run(copy)
    result = {"metrics": {"fd_fmnist": 321.5}, "protocol": {"hash": "abcdef012345", "n_fake": 9}}
    (copy / "eval").mkdir(exist_ok=True)
    (copy / "eval" / f"eval-{run.checkpoint.stem}-fmnist.json").write_text(json.dumps(result))
    out = save_pretrained(run, tmp_path / "m", dtype="float16", license_="apache-2.0")
    card = json.loads((out / "config.json").read_text())["card"]
    assert card["metrics"] == {"fd_fmnist": 321.5} and card["protocol"]["hash"] == "abcdef012345"
    readme = (out / "README.md").read_text()
    assert "| fd_fmnist | 321.5 |" in readme and 'license: "apache-2.0"' in readme


def test_refuses_a_non_empty_folder_a_toy_run_and_other_dtypes(dcgan_run, toy_run, tmp_path):
    run = load_run(dcgan_run)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("keep me")
    with pytest.raises(GanforgeError, match="not an empty folder"):
        save_pretrained(run, tmp_path / "full")
    assert (tmp_path / "full" / "x").read_text() == "keep me"
    with pytest.raises(GanforgeError, match="float32 or float16"):
        save_pretrained(run, tmp_path / "a", dtype="int8")
    with pytest.raises(GanforgeError, match="toy run"):
        save_pretrained(load_run(toy_run), tmp_path / "b")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
