"""train/failures.py: the machine's failures mid-run (a full disk, no permission, out of memory)
as one line naming the last good checkpoint; bugs keep their traceback."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest
import torch

from ganforge.atomic import TEMP_PREFIX
from ganforge.config import load_config
from ganforge.errors import GanforgeError
from ganforge.train import checkpoint as ckpt
from ganforge.train.failures import out_of_memory, run_failure
from ganforge.train.trainer import Trainer
from helpers import TOY_TINY, files_under, wrap_phase

RUN = Path("/runs/2026-01-01-000000-toy")


def test_environment_failures_name_where_the_run_stopped_and_how_to_go_on():
    last = RUN / "checkpoints" / ckpt.checkpoint_name(128)
    e = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(last))
    error = run_failure(e, RUN, 192, last)
    assert isinstance(error, GanforgeError)
    assert str(error) == (
        f"training stopped at 192 images: {last}: {os.strerror(errno.ENOSPC)}; free some space, "
        f"or write elsewhere; the last good checkpoint is {last.name}; continue with: "
        f"ganforge train --resume {RUN}"
    )
    error = run_failure(PermissionError(errno.EACCES, "Permission denied"), RUN, 0, None)
    assert "no checkpoint was written; start it again" in str(error)


def test_out_of_memory_is_told_apart_from_other_runtime_errors():
    oom = RuntimeError("[enforce fail] DefaultCPUAllocator: can't allocate memory: you tried...")
    assert out_of_memory(oom) and out_of_memory(torch.OutOfMemoryError("CUDA out of memory"))
    assert not out_of_memory(RuntimeError("out of memory\nmore detail"))  # a bug's own words
    assert "lower train.batch_size" in str(run_failure(oom, RUN, 64, None))
    assert run_failure(RuntimeError("shape mismatch"), RUN, 64, None) is None
    assert run_failure(OSError(errno.EINVAL, "Invalid argument"), RUN, 64, None) is None


def _toy(tmp_path, **extra) -> Trainer:
    over = {**TOY_TINY, "out_dir": str(tmp_path / "runs"), **extra}
    return Trainer(load_config("toy-ring-mlp", over))


def test_a_full_disk_at_a_checkpoint_is_one_line_and_keeps_the_last_good_one(tmp_path, monkeypatch):
    t = _toy(tmp_path)
    real_save = ckpt.atomic_save

    def save(path, state):
        if ckpt.images_of(path) == 256:  # the second checkpoint: the disk is now full
            with open(path.parent / f"{TEMP_PREFIX}fulldisk.safetensors", "wb") as f:
                f.write(b"half")  # what a real write leaves until atomic_path removes it
            os.unlink(f.name)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real_save(path, state)

    monkeypatch.setattr(ckpt, "atomic_save", save)
    with pytest.raises(GanforgeError) as e:
        t.fit()
    message = str(e.value)
    assert message.startswith("training stopped at 256 images: ") and "\n" not in message
    assert "No space left on device" in message and ckpt.checkpoint_name(128) in message
    info = json.loads((t.run_dir / "run.json").read_text())
    assert info["status"] == "failed" and "No space left" in info["error"]
    assert [p.name for p in ckpt.list_checkpoints(t.run_dir / "checkpoints")] == [
        ckpt.checkpoint_name(128)
    ]
    ckpt.load(t.run_dir / "checkpoints" / ckpt.checkpoint_name(128))  # whole and readable
    assert not [p for p in files_under(t.run_dir) if TEMP_PREFIX in p]


def test_a_status_the_full_disk_refuses_too_still_gives_the_one_line(tmp_path, monkeypatch):
    t = _toy(tmp_path)
    real_status = t.folder.write_status

    def status(info):
        if info["status"] != "running":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(t.run_dir / "run.json"))
        real_status(info)

    monkeypatch.setattr(t.folder, "write_status", status)
    wrap_phase(
        t,
        "G",
        lambda trainer: (_ for _ in ()).throw(
            OSError(errno.EDQUOT, os.strerror(errno.EDQUOT), "metrics.csv")
        ),
    )
    with pytest.raises(GanforgeError, match="training stopped at 0 images: metrics.csv: .*quota"):
        t.fit()
    assert json.loads((t.run_dir / "run.json").read_text())["status"] == "running"


def test_running_out_of_memory_at_a_step_is_one_line(tmp_path):
    t = _toy(tmp_path)
    oom = RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 10 GB")
    wrap_phase(t, "D", lambda trainer: (_ for _ in ()).throw(oom))
    with pytest.raises(GanforgeError, match="out of memory .* lower train.batch_size"):
        t.fit()
    info = json.loads((t.run_dir / "run.json").read_text())
    assert info["status"] == "failed" and "can't allocate memory" in info["error"]
