"""loggers/mlflow.py: a run logs to an MLflow file store, and a resume appends to the same run."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest

from ganforge.cli import main
from ganforge.config import load_config
from ganforge.errors import GanforgeError
from ganforge.loggers.mlflow import MlflowSink, flatten
from ganforge.train.trainer import Trainer
from helpers import tiny_overrides


@pytest.fixture
def store(tmp_path, monkeypatch):
    pytest.importorskip("mlflow", reason="the mlflow extra is not installed")
    uri = f"file:{tmp_path / 'mlruns'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 asks for it
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
    from mlflow.tracking import MlflowClient

    return MlflowClient(uri)


def _config(tmp_path, **extra):
    # 128 images: one row, one grid, one checkpoint (train.log_every=128)
    ov = tiny_overrides(tmp_path, **{"train.images": 128, "train.loggers": ["mlflow"], **extra})
    return load_config("dcgan-fashion-mnist", ov)


def test_a_run_logs_to_mlflow_and_a_resume_appends_to_the_same_run(store, tmp_path, tiny_data):
    t = Trainer(_config(tmp_path), data=tiny_data).fit()
    run_id = json.loads((t.run_dir / "trackers.json").read_text())["mlflow"]
    Trainer.resume(t.run_dir, ["train.images=256"], data=tiny_data).fit()
    experiment = store.get_experiment_by_name("ganforge")
    runs = store.search_runs([experiment.experiment_id])
    assert [r.info.run_id for r in runs] == [run_id]  # the resume made no second run
    run = runs[0]
    assert run.info.status == "FINISHED" and run.info.run_name == t.run_dir.name
    history = store.get_metric_history(run_id, "d_loss")
    assert [m.step for m in history] == [128, 256]  # step = images seen
    header, first = (t.run_dir / "metrics.csv").read_text().splitlines()[:2]
    row = dict(zip(header.split(","), first.split(",")))
    assert history[0].value == pytest.approx(float(row["d_loss"]), rel=1e-5)  # csv: 6 digits
    assert "img_per_s" in run.data.metrics and "images" not in run.data.metrics
    # parameters: the first start's config, flattened; config.yaml: the latest
    assert run.data.params["train.images"] == "128" and run.data.params["model.task"] == "gan"
    local = store.download_artifacts(run_id, "", str(tmp_path / "artifacts"))
    assert "images: 256" in (tmp_path / "artifacts" / "config.yaml").read_text()
    grids = sorted(p.name for p in (tmp_path / "artifacts" / "samples").iterdir())
    assert grids == ["fakes-000000000128.png", "fakes-000000000256.png"], local


def test_steps_replayed_after_a_resume_get_a_second_value(store, tmp_path):
    sink = MlflowSink(tmp_path, {"train": {"images": 192}}, 0)
    for images in (64, 128, 192):
        sink.scalars(images, {"loss": float(images)})
    sink.close()
    resumed = MlflowSink(tmp_path, {"train": {"images": 256}}, 128)  # 192 is replayed
    assert resumed.run_id == sink.run_id
    resumed.scalars(192, {"loss": -1.0})
    resumed.scores(192, {"fd": 3.5})
    resumed.close()
    history = [(m.step, m.value) for m in store.get_metric_history(sink.run_id, "loss")]
    assert history == [(64, 64.0), (128, 128.0), (192, 192.0), (192, -1.0)]
    run = store.get_run(sink.run_id)
    assert run.data.metrics["loss"] == -1.0 and run.data.metrics["eval/fd"] == 3.5
    assert run.data.params == {"train.images": "192"}  # MLflow parameters cannot change


def test_flatten_makes_dotted_keys():
    assert flatten({"a": {"b": 1, "c": {"d": [2]}}, "e": {}, "f": "x"}) == {
        "a.b": 1,
        "a.c.d": [2],
        "e": {},
        "f": "x",
    }


def test_a_store_that_cannot_open_refuses_before_training_in_one_line(
    tmp_path, monkeypatch, capsys
):
    pytest.importorskip("mlflow", reason="the mlflow extra is not installed")
    # A store MLflow has not opened in this process (it caches them by URI)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"file:{tmp_path / 'refused'}")
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    args = [
        "train",
        "--set=data.split=test",
        "--set=data.max_images=64",
        f"--out={tmp_path / 'runs'}",
    ]
    args += ["--set=model.g_width=8", "--set=model.d_width=8", "--set=train.batch_size=32"]
    args += ["--set=train.images=64", "--set=train.loggers=[mlflow]", "--no-progress"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]  # after "run folder: ..."
    assert err.startswith("ganforge: error: logger mlflow failed to start (RuntimeError: ")
    assert "MLflow refuses the file store file:" in err and "MLFLOW_ALLOW_FILE_STORE=true" in err
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert len((run_dir / "metrics.csv").read_text().splitlines()) == 1  # no iteration ran
    assert json.loads((run_dir / "run.json").read_text())["status"] == "failed"
    assert main([*args, "--set=train.loggers_required=false"]) == 0  # trains without it
    assert "logger mlflow did not start (RuntimeError: MLflow refuses" in capsys.readouterr().err


def test_not_installed_refuses_before_anything_is_written(tmp_path, tiny_data, monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # import mlflow -> ImportError
    with pytest.raises(GanforgeError) as e:
        Trainer(_config(tmp_path), data=tiny_data)
    assert "mlflow is not installed: pip install 'ganforge[mlflow]'" in str(e.value)
    assert not (tmp_path / "runs").exists()


def test_a_resume_whose_mlflow_run_is_gone_says_what_to_do(store, tmp_path):
    (tmp_path / "trackers.json").write_text('{"mlflow": "0123abcd"}')
    with pytest.raises(RuntimeError) as e:
        MlflowSink(tmp_path, {}, 128)
    assert str(e.value).startswith("the MLflow run 0123abcd of ") and "\n" not in str(e.value)
    assert "delete the entry to start a new MLflow run" in str(e.value)


def test_the_default_database_store_without_sqlalchemy_says_what_to_install(tmp_path, monkeypatch):
    pytest.importorskip("mlflow", reason="the mlflow extra is not installed")
    if importlib.util.find_spec("sqlalchemy") is not None:
        pytest.skip("the full mlflow (sqlalchemy) is installed: its default store opens")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)  # MLflow 3's default: sqlite:///mlflow.db in the working folder
    with pytest.raises(
        RuntimeError, match=r"^MLflow's database store sqlite:.* needs the full mlflow"
    ):
        MlflowSink(tmp_path, {}, 0)
