"""train/state.py: the TrainingState the Trainer holds, what a checkpoint holds, restoring it, and
what run.json says."""

from __future__ import annotations

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.train import checkpoint as ckpt
from ganforge.train.state import TrainingState, checkpoint_state, restore_state, status_record
from helpers import toy_trainer


def test_a_new_state_starts_at_zero_with_the_runs_noise_generator():
    state = TrainingState(torch.device("cpu"), seed=5)
    assert (state.images_seen, state.iterations, state.wall_time) == (0, 0, 0.0)
    want = torch.Generator().manual_seed(6)  # seed + 1: apart from the weights' seed
    assert torch.equal(torch.rand(3, generator=state.gen), torch.rand(3, generator=want))
    assert state.progress == {"images_seen": 0, "iterations": 0, "wall_time": 0.0}


def test_the_state_holds_everything_resume_needs(tmp_path):
    t = toy_trainer(tmp_path, **{"train.images": 128})
    t.fit()
    state = checkpoint_state(t.state, t._parts())
    assert set(state) >= {"nets", "ema", "optim", "rng", "task", "progress", "acc", "meta"}
    assert state["progress"]["images_seen"] == 128 and "sampler" in state["task"]
    assert state["progress"]["iterations"] == t.iterations == 2  # batch 64: two iterations
    assert "scalers" not in state  # fp32: no loss scale to keep
    # What the data records of itself, beside the config's data fields.
    assert state["meta"]["data"]["num_classes"] == 8 and state["meta"]["data"]["source"]
    assert set(state) == set(t.state_dict())


def test_restoring_checks_first_and_changes_nothing_when_it_refuses(tmp_path):
    t = toy_trainer(tmp_path, **{"train.images": 128, "train.checkpoint_every": 128})
    t.fit()
    path = ckpt.list_checkpoints(t.run_dir / "checkpoints")[-1]
    state = ckpt.load(path)
    state["progress"]["images_seen"] = "many"
    bad = path.with_name(ckpt.checkpoint_name(128)).with_suffix(".safetensors")
    ckpt.atomic_save(bad, state)
    fresh = toy_trainer(tmp_path / "again", **{"train.images": 128})
    before = {k: v.clone() for k, v in fresh.task.G.state_dict().items()}
    with pytest.raises(GanforgeError, match="edited or damaged") as e:
        restore_state(fresh.state, fresh._parts(), bad)
    assert "\n" not in str(e.value)
    assert all(torch.equal(v, fresh.task.G.state_dict()[k]) for k, v in before.items())
    assert fresh.images_seen == 0


def test_restoring_a_good_checkpoint_restores_progress_and_weights(tmp_path):
    t = toy_trainer(tmp_path, **{"train.images": 128, "train.checkpoint_every": 128})
    t.fit()
    path = ckpt.list_checkpoints(t.run_dir / "checkpoints")[-1]
    fresh = toy_trainer(tmp_path / "again", **{"train.images": 128})
    restore_state(fresh.state, fresh._parts(), path)
    assert (fresh.images_seen, fresh.iterations) == (128, 2)
    for k, v in t.task.G.state_dict().items():
        assert torch.equal(v, fresh.task.G.state_dict()[k])


def test_run_json_names_status_progress_and_versions(tmp_path):
    t = toy_trainer(tmp_path, **{"train.images": 64})
    t.fit()
    run = {"name": "x", "images_total": 64, "precision": "fp32"}
    info = status_record(t.state, "finished", run, t.run_dir, None, {"report": "report.html"})
    assert info["status"] == "finished" and info["images_seen"] == 64 and info["iterations"] == 1
    assert info["report"] == "report.html" and info["torch"] == torch.__version__
    assert info["checkpoints"] and info["precision"] == "fp32" and info["name"] == "x"
    assert list(info)[-1] == "report"  # the caller's entries come last
    assert run == {"name": "x", "images_total": 64, "precision": "fp32"}  # not consumed
