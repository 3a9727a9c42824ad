"""`ganforge memorization` end to end on a tiny run, and the runs it must refuse."""

from __future__ import annotations

import json

import pytest

from ganforge.cli import main
from ganforge.commands.memorization import _heldout
from ganforge.config import DataConfig, load_config
from ganforge.data import load_data
from ganforge.data.sources import sets as sources
from ganforge.errors import GanforgeError
from ganforge.images import save_png
from ganforge.train.trainer import Trainer
from helpers import tiny_overrides

HAVE_TRAIN_SPLIT = (
    sources.system_dir(sources.FASHION_MNIST) / "train-images-idx3-ubyte.gz"
).is_file()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    # Trained on the first 512 images of the embedded test split: the train split is held out.
    tmp = tmp_path_factory.mktemp("memorization")
    over = tiny_overrides(tmp, **{"data.split": "test", "data.max_images": 512})
    cfg = load_config("dcgan-fashion-mnist", {**over, "train.images": 256})
    return Trainer(cfg, data=load_data(cfg.data)).fit().run_dir


@pytest.fixture(scope="module")
def heldout(tmp_path_factory):
    """Test-split images the run never saw (it trained on the first 512), as a folder of PNGs:
    the embedded split is enough, no train split needed."""
    folder = tmp_path_factory.mktemp("heldout")
    cfg = DataConfig(split="test", resolution=32)
    for i, img in enumerate(load_data(cfg).images[5000:5240]):
        save_png(folder / f"{i:04d}.png", img[0].numpy())
    return folder


def test_memorization_writes_json_png_and_table(run_dir, heldout, capsys):
    args = ["memorization", str(run_dir), "--n", "200", "--k", "4", "--n-test", "200"]
    args += ["--heldout", f"folder:{heldout}"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "pixel" in out and "feature" in out and "verdict:" in out
    folder = run_dir / "memorization"
    result = json.loads((folder / "memorization-ckpt-000000000256.json").read_text())
    report, protocol = result["report"], result["protocol"]
    assert (folder / "closest-ckpt-000000000256.png").is_file()
    assert len(report["closest"]) == 4 and report["feature"] is not None
    assert report["counts"] == {"fake": 200, "train": 512, "test": 200}
    assert protocol["train"]["split"] == "test" and protocol["heldout"]["split"] == "all"
    assert protocol["features"]["extractor"] == "fmnist"
    # A trained-for-256-images generator copies nothing.
    assert report["memorization"] is False and report["exact_copies"] == 0

    out_dir = run_dir / "elsewhere"
    args += ["--features", "none", "--out", str(out_dir)]
    assert main(args) == 0
    result = json.loads((out_dir / "memorization-ckpt-000000000256.json").read_text())
    assert result["report"]["feature"] is None and result["protocol"]["features"] is None


@pytest.mark.skipif(
    not HAVE_TRAIN_SPLIT,
    reason="the default held-out set of a test-split run is the 60k train split (Debian "
    "dataset-fashion-mnist), not installed here",
)
def test_memorization_holds_out_the_other_split_by_default(run_dir, capsys):
    args = ["memorization", str(run_dir), "--n", "200", "--k", "4", "--n-test", "200"]
    assert main(args) == 0
    folder = run_dir / "memorization"
    result = json.loads((folder / "memorization-ckpt-000000000256.json").read_text())
    assert result["protocol"]["heldout"]["split"] == "train"


def test_memorization_refuses_what_it_cannot_calibrate(run_dir, capsys):
    assert main(["memorization", str(run_dir), "--n-test", "50"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "too few held-out images" in err[0], err
    assert main(["memorization", str(run_dir.parent)]) == 2
    assert "not a ganforge run folder" in capsys.readouterr().err
    with pytest.raises(GanforgeError, match="--heldout folder:PATH"):
        _heldout(DataConfig(source="folder:/nowhere"), "train", None)
