"""Faults of the machine, for real: a full disk and a read-only file system (tmpfs mounts, where
this machine allows them) and kill -9 at random moments, checkpoint writes included."""

from __future__ import annotations

import glob
import json
import multiprocessing
import os
import random
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from ganforge.atomic import LOCKED_STALE_AFTER_S, TEMP_PREFIX
from ganforge.cli import main
from ganforge.train import checkpoint as ckpt
from helpers import TOY_TINY, files_under


def _argv(out: Path, **extra) -> list[str]:
    over = {**TOY_TINY, **extra}
    return [
        "train",
        "--preset=toy-ring-mlp",
        "--no-progress",
        f"--out={out}",
        *[f"--set={k}={v}" for k, v in over.items()],
    ]


def _mount(where: Path, options: str) -> None:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root and mount(8)")
    where.mkdir(exist_ok=True)
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True, text=True
    )
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")


@pytest.fixture
def tiny_disk(tmp_path):
    """A 4 MiB file system of its own, unmounted afterwards."""
    disk = tmp_path / "disk"
    _mount(disk, "size=4m")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def _errors(err: str) -> list[str]:
    assert "Traceback" not in err, err
    return [line for line in err.splitlines() if line.startswith("ganforge: error: ")]


BIGGER = {"model.g_hidden": [128, 128], "model.d_hidden": [128, 128]}  # ~0.5 MB checkpoints


def test_a_full_disk_mid_run_is_one_line_and_keeps_the_checkpoints(tiny_disk, capsys):
    out = tiny_disk / "runs"
    assert main(_argv(out, **BIGGER, **{"train.keep_checkpoints": 2})) == 0
    (run,) = out.iterdir()
    kept = {p.name: p.read_bytes() for p in ckpt.list_checkpoints(run / "checkpoints")}
    assert len(kept) == 2
    st = os.statvfs(tiny_disk)
    filler = tiny_disk / "filler"
    filler.write_bytes(b"\0" * (st.f_bavail * st.f_frsize - 96 * 1024))  # 96 KiB stay free
    capsys.readouterr()
    rc = main(["train", "--resume", str(run), "--set=train.images=512", "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2, err
    errors = _errors(err)
    assert len(errors) == 1 and err.strip().splitlines()[-1] == errors[0], err
    assert "training stopped at 384 images" in errors[0] and "No space left" in errors[0]
    assert "the last good checkpoint is ckpt-000000000256.safetensors" in errors[0]
    assert {p.name: p.read_bytes() for p in ckpt.list_checkpoints(run / "checkpoints")} == kept
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "failed" and "No space left" in info["error"]
    assert not [p for p in files_under(run) if TEMP_PREFIX in p]
    filler.unlink()  # space again: the run goes on from its last good checkpoint
    assert main(["train", "--resume", str(run), "--set=train.images=512", "--no-progress"]) == 0
    assert json.loads((run / "run.json").read_text())["images_seen"] == 512


def test_a_full_disk_at_the_start_leaves_no_run_folder(tiny_disk, capsys):
    filler = tiny_disk / "filler"
    st = os.statvfs(tiny_disk)
    filler.write_bytes(b"\0" * (st.f_bavail * st.f_frsize - 8 * 1024))
    capsys.readouterr()
    assert main(_argv(tiny_disk / "a" / "runs")) == 2
    errors = _errors(capsys.readouterr().err)
    assert len(errors) == 1 and "No space left on device" in errors[0], errors
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["filler"]


def test_a_read_only_file_system_is_one_line_for_new_and_resumed_runs(tiny_disk, capsys):
    out = tiny_disk / "runs"
    assert main(_argv(out)) == 0
    (run,) = out.iterdir()
    before = files_under(tiny_disk)
    r = subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], capture_output=True)
    if r.returncode != 0:
        pytest.skip("cannot remount the tmpfs read-only")
    capsys.readouterr()
    for argv, what in [
        (_argv(out), f"out_dir {out} cannot be written"),
        (["train", "--resume", str(run), "--set=train.images=512"], "run folder"),
    ]:
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and what in err[0] and "read-only" in err[0], err
    assert files_under(tiny_disk) == before


# --------------------------------------------------------------------------- kill -9


def _temp_files(root: Path) -> list[str]:
    """Temporary files under ``root`` (a glob pattern is allowed)."""
    roots = [root] if root.exists() else [Path(p) for p in glob.glob(str(root))]
    return [p for r in roots for p in files_under(r) if TEMP_PREFIX in p]


def _wait_for_a_write(out: Path, child, old: set[str], timeout: float = 10.0) -> None:
    """Return the moment a new checkpoint temporary file exists (a write under way); ``old``:
    those a killed writer left before, not yet stale enough to be swept."""
    deadline = time.time() + timeout
    while time.time() < deadline and child.is_alive():
        for folder in out.glob("[!.]*/checkpoints"):
            with os.scandir(folder) as entries:
                if any(e.name.startswith(TEMP_PREFIX) and e.name not in old for e in entries):
                    return


def test_kill_9_at_random_moments_then_resume_completes_with_no_temp_files(tmp_path):
    """Trains in a child process forked from a server that has ganforge imported (so a start
    costs milliseconds), kills it with SIGKILL, resumes, again: every other kill at a random
    moment (start-up, a step, a log row, a checkpoint), the others the moment a checkpoint's
    temporary file appears, i.e. in the middle of writing it (checkpoints every iteration)."""
    out = tmp_path / "runs"
    total = 64 * 150
    extra = {
        **{"model.g_hidden": [64, 64], "model.d_hidden": [64, 64]},
        **{"train.images": total, "train.checkpoint_every": 64, "train.keep_checkpoints": 2},
    }
    ctx = multiprocessing.get_context("forkserver")
    # torch._dynamo: what a first optimizer imports (a second a start, paid once by the server)
    ctx.set_forkserver_preload(["ganforge.cli", "ganforge.train.trainer", "torch._dynamo"])
    rng = random.Random(16)
    kills, mid_write, started = 0, 0, []
    for i in range(10):
        runs = [p for p in out.glob("[!.]*") if ckpt.list_checkpoints(p / "checkpoints")]
        argv = ["train", "--resume", str(runs[0]), "--no-progress"] if runs else _argv(out, **extra)
        before = set(_temp_files(out / "*" / "checkpoints"))
        child = ctx.Process(target=main, args=(argv,))
        child.start()
        deadline = time.time() + 60
        while not runs and time.time() < deadline:  # the first run: kill it once it has one
            if any(ckpt.list_checkpoints(p / "checkpoints") for p in out.glob("[!.]*")):
                break
            time.sleep(0.005)
        if i % 2:
            _wait_for_a_write(out, child, before)
        else:
            time.sleep(rng.uniform(0.0, 0.4))
        child.kill()
        child.join()
        if child.exitcode == 0:
            break  # finished before the kill: the rest is the final resume's
        kills += 1
        mid_write += bool(i % 2 and set(_temp_files(out / "*" / "checkpoints")) - before)
        started.append(json.loads((runs[0] / "run.json").read_text())["images_seen"] if runs else 0)
    (run,) = [p for p in out.glob("[!.]*")]
    time.sleep(LOCKED_STALE_AFTER_S + 0.1)  # a dead writer's unlocked file is swept once stale
    assert main(["train", "--resume", str(run), "--no-progress"]) == 0
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "finished" and info["images_seen"] == total
    assert kills >= 5 and mid_write >= 1, f"{kills} kills, {mid_write} during a write"
    assert _temp_files(out) == []
    for p in ckpt.list_checkpoints(run / "checkpoints"):
        ckpt.load(p)
    rows = (run / "metrics.csv").read_text().splitlines()
    images = [int(r.split(",")[0]) for r in rows[1:]]
    assert images == sorted(set(images)) and images[-1] == total  # no cut or repeated row
    assert all(len(r.split(",")) == len(rows[0].split(",")) for r in rows)
    print(f"kill -9 loop: {kills} kills, {mid_write} mid-write, resumed at {started}")
