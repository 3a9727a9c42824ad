"""train/state.py: what a checkpoint holds, restoring it, and what run.json says."""

from __future__ import annotations

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.train import checkpoint as ckpt
from ganforge.train.state import restore_training_state, status_record, training_state
from helpers import toy_trainer


def test_the_state_holds_everything_resume_needs(tmp_path):
    t = toy_trainer(tmp_path, **{"train.images": 128})
    t.fit()
    state = training_state(t)
    assert set(state) >= {"nets", "ema", "optim", "rng", "task", "progress", "acc", "meta"}
    assert state["progress"]["images_seen"] == 128 and "sampler" in state["task"]
    assert "scalers" not in state  # fp32: no loss scale to keep


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
        restore_training_state(fresh, bad)
    assert "\n" not in str(e.value)
    assert all(torch.equal(v, fresh.task.G.state_dict()[k]) for k, v in before.items())
    assert fresh.images_seen == 0


def test_run_json_names_status_progress_and_versions(tmp_path):
    t = toy_trainer(tmp_path, **{"train.images": 64})
    t.fit()
    info = status_record(t, "finished", {"report": "report.html"})
    assert info["status"] == "finished" and info["images_seen"] == 64
    assert info["report"] == "report.html" and info["torch"] == torch.__version__
    assert info["checkpoints"] and info["precision"] == "fp32"
