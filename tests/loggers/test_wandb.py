"""loggers/wandb.py: a run logs to W&B (offline mode), and a resume continues the same W&B run."""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import pytest

from ganforge.config import load_config
from ganforge.errors import GanforgeError
from ganforge.loggers import Loggers
from ganforge.train.trainer import Trainer
from helpers import tiny_overrides


@pytest.fixture
def offline(tmp_path, monkeypatch):
    pytest.importorskip("wandb", reason="the wandb extra is not installed")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.delenv("WANDB_DIR", raising=False)  # default: the run folder
    for var in ("WANDB_CONFIG_DIR", "WANDB_CACHE_DIR", "WANDB_DATA_DIR"):
        monkeypatch.setenv(var, str(tmp_path / "wandb-home"))  # never ~/.config/wandb


def _config(tmp_path, **extra):
    # 128 images: one row, one grid, one checkpoint (train.log_every=128)
    ov = tiny_overrides(tmp_path, **{"train.images": 128, "train.loggers": ["wandb"], **extra})
    return load_config("dcgan-fashion-mnist", ov)


def test_a_run_logs_to_wandb_and_a_resume_continues_the_same_run(offline, tmp_path, tiny_data):
    t = Trainer(_config(tmp_path), data=tiny_data).fit()
    run_id = json.loads((t.run_dir / "trackers.json").read_text())["wandb"]
    first = sorted((t.run_dir / "wandb").glob("offline-run-*"))
    assert len(first) == 1 and first[0].name.endswith(run_id)
    Trainer.resume(t.run_dir, ["train.images=256"], data=tiny_data).fit()
    files = sorted((t.run_dir / "wandb").glob(f"offline-run-*-{run_id}/run-{run_id}.wandb"))
    assert len(files) == 2  # the resume wrote to the same W&B run id, not a new one
    assert set().union(*(run_ids(f) for f in files)) == {run_id}
    rows = [row for f in files for row in history(f)]
    losses = [(r["images"], r["d_loss"]) for r in rows if "d_loss" in r]
    assert [i for i, _ in losses] == [128, 256]  # metrics.csv's rows, images on the x axis
    csv = (t.run_dir / "metrics.csv").read_text().splitlines()
    header = csv[0].split(",")
    first_row = dict(zip(header, csv[1].split(",")))
    assert losses[0][1] == pytest.approx(float(first_row["d_loss"]), rel=1e-5)  # csv: 6 digits
    grids = [r for r in rows if r.get("samples/_type") == "image-file"]
    assert [g["images"] for g in grids] == [128, 256]
    assert (files[0].parent / "files" / grids[0]["samples/path"]).is_file()
    cfg = config(files[0])
    assert cfg["train"]["images"] == 128 and cfg["model"]["task"] == "gan"
    assert config(files[1])["train"]["images"] == 256  # the resumed run's config


def test_not_installed_refuses_before_training_unless_not_required(
    offline, tmp_path, tiny_data, monkeypatch
):
    monkeypatch.setitem(sys.modules, "wandb", None)  # import wandb -> ImportError
    with pytest.raises(GanforgeError) as e:
        Trainer(_config(tmp_path), data=tiny_data)
    message = str(e.value)
    assert "\n" not in message and not (tmp_path / "runs").exists()
    assert "wandb is not installed: pip install 'ganforge[wandb]'" in message
    # loggers_required=false: a note, and training goes on (trained to the end in test_mlflow.py)
    t = Trainer(_config(tmp_path, **{"train.loggers_required": False}), data=tiny_data)
    assert any("logger wandb:" in n and "not installed" in n for n in t.notes)


def test_a_wandb_that_fails_to_start_refuses_the_run_before_its_first_iteration(
    offline, tmp_path, tiny_data, monkeypatch
):
    import wandb

    def refuse(**kwargs):
        raise wandb.errors.UsageError("api_key not configured (no-tty)\ncall wandb.login()")

    monkeypatch.setattr(wandb, "init", refuse)
    t = Trainer(_config(tmp_path), data=tiny_data)
    with pytest.raises(GanforgeError) as e:
        t.fit()
    assert str(e.value).startswith(
        "logger wandb failed to start (UsageError: api_key not configured (no-tty)); fix it"
    )
    assert len((t.run_dir / "metrics.csv").read_text().splitlines()) == 1  # the header only
    assert not (t.run_dir / "checkpoints").exists() or not any(
        (t.run_dir / "checkpoints").iterdir()
    )
    notes = []
    loggers = Loggers(notes.append)
    loggers.start(["wandb"], tmp_path, {}, 0, required=False)  # loggers_required=false
    assert loggers.sinks == {} and notes[0].startswith("logger wandb did not start (UsageError")


# -- reading an offline run file ------------------------------------------------------------------
# wandb 0.31 has no public reader of its own files. The format is LevelDB's log: a 7-byte header
# (":W&B", magic 0xBEE1, version 0), then 32 KiB blocks of chunks, each a 7-byte header (CRC32,
# little-endian length, type FULL=1 FIRST=2 MIDDLE=3 LAST=4) and a piece of one serialized
# wandb_internal_pb2.Record; a block's last < 7 bytes are padding.


def records(path: Path) -> list:
    from wandb.proto import wandb_internal_pb2 as pb

    data, block = Path(path).read_bytes(), 32 * 1024
    assert data[:4] == b":W&B", f"{path} is not a W&B run file"
    out, pos, pieces = [], 7, b""
    while pos + 7 <= len(data):
        if block - pos % block < 7:  # padding at the end of a block
            pos += block - pos % block
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        if kind == 0:
            break
        pieces = (
            data[pos + 7 : pos + 7 + length]
            if kind in (1, 2)
            else pieces + data[pos + 7 : pos + 7 + length]
        )
        pos += 7 + length
        if kind in (1, 4):
            out.append(pb.Record.FromString(pieces))
    return out


def _items(items) -> dict:
    return {i.key or "/".join(i.nested_key): json.loads(i.value_json) for i in items}


def history(path: Path) -> list[dict]:
    return [_items(r.history.item) for r in records(path) if r.HasField("history")]


def run_ids(path: Path) -> set[str]:
    return {r.run.run_id for r in records(path) if r.HasField("run")}


def config(path: Path) -> dict:
    merged: dict = {}
    for r in records(path):
        if r.HasField("run"):
            merged.update(_items(r.run.config.update))
        elif r.HasField("config"):
            merged.update(_items(r.config.update))
    return merged
