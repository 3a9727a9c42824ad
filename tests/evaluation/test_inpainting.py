"""evaluation/inpainting.py: `ganforge eval` on an inpainting run: held-out images, fixed masks
per kind and band, the model next to mean fill and cv2.inpaint, the protocol in the JSON."""

import json

import pytest

from ganforge.cli import main
from ganforge.errors import GanforgeError
from ganforge.evaluation import inpainting as EI
from ganforge.evaluation.options import EvalOptions
from ganforge.masks.bands import BANDS
from ganforge.runs import load_run
from tiny_inpaint import train_tiny_inpaint


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return train_tiny_inpaint(tmp_path_factory.mktemp("inpaint"))


def _evaluate(run_dir, **options):
    opened = load_run(run_dir)
    return opened.task.evaluate(opened, EvalOptions(**options), say=lambda line: None)


def test_every_kind_and_band_scores_the_model_and_each_baseline(run):
    pytest.importorskip("cv2")
    res = _evaluate(run, n=300)
    m, p = res["metrics"], res["protocol"]
    for kind in ("rectangles", "strokes"):
        for band, (lo, hi) in BANDS.items():
            assert lo <= p["masks"]["mean_share"][f"{kind}.{band}"] <= hi
            for method in ("model", "mean", "telea", "ns"):
                for score in EI.SCORES:
                    assert f"{kind}.{band}.{method}.{score}" in m
    # more missing, worse whole image
    assert m["strokes.10-20.model.psnr"] > m["strokes.40-60.model.psnr"]
    assert p["features"] == "fmnist" and p["n"] == 300 and p["seed"] == 0
    # the tiny run trained on the embedded test split: the protocol says it is not held out
    assert p["held_out"] is False and any("not held out" in n for n in p["notes"])
    assert res["name"] == "inpaint-fmnist"
    lines = EI.table(m).splitlines()
    assert len(lines) == 2 + 2 * 3 * 4 and lines[2].startswith("rectangles 10-20 model")


def test_the_same_seed_gives_the_same_scores_and_without_cv2_its_columns_are_skipped(
    run, monkeypatch
):
    a = _evaluate(run, n=20, features="none")
    real = EI.importlib.util.find_spec
    monkeypatch.setattr(
        EI.importlib.util, "find_spec", lambda name: None if name == "cv2" else real(name)
    )
    b = _evaluate(run, n=20, features="none")
    assert "fd" not in {k.split(".")[-1] for k in a["metrics"]}
    assert {k: v for k, v in a["metrics"].items() if k in b["metrics"]} == b["metrics"]
    assert not any(".telea." in k or ".ns." in k for k in b["metrics"])
    assert "opencv-python-headless" in b["protocol"]["skipped"]["telea"]


def test_options_that_do_not_apply_are_refused(run):
    with pytest.raises(GanforgeError, match="--direction does not apply to inpainting runs"):
        _evaluate(run, n=8, direction="AtoB")
    with pytest.raises(GanforgeError, match="--features fid is not one of"):
        _evaluate(run, n=8, features="fid")


def test_the_command_writes_the_result_with_its_protocol(run, tmp_path, capsys):
    out = tmp_path / "e.json"
    assert main(["eval", str(run), "--n", "12", "--features", "none", "--json", str(out)]) == 0
    res = json.loads(out.read_text())
    assert res["protocol"]["masks"]["bands"] == {
        "10-20": [0.1, 0.2],
        "20-40": [0.2, 0.4],
        "40-60": [0.4, 0.6],
    }
    assert res["protocol"]["hash"] and "strokes.20-40.model.hole_psnr" in res["metrics"]
    assert "rectangles.40-60.mean.box_ssim" in capsys.readouterr().out
