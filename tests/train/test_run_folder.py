"""The run folder: a new one appears whole or not at all, an unwritable one fails before the data
is read, metrics.csv survives cut rows, and a resumed run sweeps what killed writers left."""

from __future__ import annotations

import datetime
import errno
import json
import os
import time
from types import SimpleNamespace

import pytest

from ganforge import atomic
from ganforge.cli import main
from ganforge.config import load_config
from ganforge.errors import GanforgeError
from ganforge.train import run_folder
from ganforge.train.run_folder import RunFolder, check_writable, new_run_path
from ganforge.train.trainer import Trainer
from helpers import TOY_TINY, files_under, train_toy

OLD = time.time() - 3600


def _toy(out_dir, **extra) -> Trainer:
    return Trainer(load_config("toy-ring-mlp", {**TOY_TINY, "out_dir": str(out_dir), **extra}))


def test_a_new_run_folder_appears_with_its_first_files(tmp_path, monkeypatch):
    t = _toy(tmp_path / "runs")
    final, seen = t.run_dir, {}
    real = t._save_samples

    def spy(tag):
        real(tag)
        if tag == "reals":  # mid-way through the first files: not there yet under its name
            seen["final"] = final.exists()
            seen["listing"] = [p.name for p in (tmp_path / "runs").iterdir()]

    monkeypatch.setattr(t, "_save_samples", spy)
    t.fit()
    assert seen["final"] is False
    assert len(seen["listing"]) == 1 and seen["listing"][0].startswith(atomic.TEMP_PREFIX)
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == [t.run_dir.name]
    assert {"config.yaml", "run.json", "metrics.csv", "data_report.json"} <= {
        p.name for p in t.run_dir.iterdir()
    }
    assert oct(t.run_dir.stat().st_mode & 0o777) == oct(atomic.default_dir_mode())


@pytest.mark.parametrize(
    "failure",
    [GanforgeError("train.grid_size=3 cannot tile these samples"), OSError(errno.ENOSPC, "full")],
    ids=["bad grid", "disk full"],
)
def test_a_start_that_fails_leaves_no_folder_not_even_its_parents(tmp_path, failure):
    out = tmp_path / "a" / "b" / "runs"
    t = _toy(out)

    def broken(path, n):
        raise failure

    t.task.save_reals = broken
    with pytest.raises(GanforgeError) as e:
        t.fit()
    assert "\n" not in str(e.value)
    if isinstance(failure, OSError):
        assert str(e.value).startswith(f"cannot make the run folder {t.run_dir}: full; ")
    assert list(tmp_path.iterdir()) == []  # a/b/runs, made for this run, are gone too


def test_a_start_that_fails_keeps_folders_it_did_not_make(tmp_path):
    out = tmp_path / "runs"
    (out / "older-run").mkdir(parents=True)
    t = _toy(out)
    t.task.save_reals = lambda path, n: (_ for _ in ()).throw(GanforgeError("no"))
    with pytest.raises(GanforgeError):
        t.fit()
    assert [p.name for p in out.iterdir()] == ["older-run"]


def test_where_no_run_folder_can_be_written_fails_before_the_data_is_read(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    for out in (blocker, blocker / "runs"):
        with pytest.raises(
            GanforgeError, match=f"out_dir {out} cannot be written: .* not a folder"
        ):
            check_writable(out, "out_dir")
        capsys.readouterr()
        argv = ["train", "--preset=toy-ring-mlp", f"--out={out}", "--set=data.toy_samples=64"]
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "is not a folder" in err[0], err
    check_writable(tmp_path / "new" / "deeper", "out_dir")  # missing but makeable: fine
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_a_read_only_folder_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(run_folder.os, "access", lambda path, mode: False)
    with pytest.raises(GanforgeError, match="is read-only or not writable by this user"):
        check_writable(tmp_path / "runs", "out_dir")


def test_a_cut_metrics_row_is_dropped_when_the_run_resumes(tmp_path):
    folder = RunFolder(tmp_path / "run")
    folder.prepare("name: x\n", {}, ["images", "d_loss"], 0)
    for n in (64, 128, 192):
        folder.append_metrics({"images": n, "d_loss": 0.5}, ["images", "d_loss"])
    with open(folder.metrics, "a") as f:  # killed mid-row, then garbage from a bad editor
        f.write("\x00\x00\n25")
    folder.prepare("name: x\n", {}, ["images", "d_loss"], 128)
    assert folder.metrics.read_text() == "images,d_loss\n64,0.5\n128,0.5\n"


def test_a_row_the_disk_could_not_hold_is_cut_off_again(tmp_path, monkeypatch):
    folder = RunFolder(tmp_path / "run")
    folder.prepare("name: x\n", {}, ["images", "d_loss"], 0)
    before = folder.metrics.read_bytes()
    real_write = os.write
    monkeypatch.setattr(run_folder.os, "write", lambda fd, data: real_write(fd, data[:3]))
    with pytest.raises(OSError) as e:
        folder.append_metrics({"images": 64, "d_loss": 0.5}, ["images", "d_loss"])
    assert e.value.errno == errno.ENOSPC
    assert folder.metrics.read_bytes() == before


def test_resuming_sweeps_what_killed_writers_left_and_says_so(tmp_path, capsys):
    run = train_toy(tmp_path / "runs")
    stale = [
        run / "checkpoints" / ".ganforge-tmp-k1ll3d00.safetensors",
        run / "samples" / ".ganforge-tmp-k1ll3d01.png",
        run / ".ganforge-tmp-k1ll3d02.json",
    ]
    staging = tmp_path / "runs" / ".ganforge-tmp-k1ll3d03.new"
    (staging / "samples").mkdir(parents=True)
    (staging / "config.yaml").write_text("half")
    keep = run / "checkpoints" / "notes.tmp"
    for p in [*stale, keep]:
        p.write_bytes(b"half a checkpoint")
        os.utime(p, (OLD, OLD))
    os.utime(staging, (OLD, OLD))
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--set=train.images=320"]) == 0
    err = capsys.readouterr().err
    notes = [line for line in err.splitlines() if "temporary file" in line]
    assert len(notes) == 1 and notes[0].startswith("note: removed 4 temporary file(s)"), err
    assert not any(p.exists() for p in stale) and not staging.exists() and keep.exists()
    assert not [p for p in files_under(tmp_path) if atomic.TEMP_PREFIX in p]


def test_run_paths_are_dated_and_never_reused(tmp_path):
    first = run_folder.new_run_path(tmp_path, "toy")
    assert first.parent == tmp_path and first.name.endswith("-toy") and not first.exists()
    first.mkdir()
    second = run_folder.new_run_path(tmp_path, "toy")
    assert second.name.startswith(first.name) and second != first


def test_an_inactive_folder_writes_nothing(tmp_path):
    """Under torchrun every rank but 0 holds an inactive RunFolder."""
    folder = RunFolder(tmp_path / "run", active=False)
    with folder.staged() as path:
        folder.prepare("name: x\n", {}, ["images"], 0)
        folder.append_metrics({"images": 1}, ["images"])
        folder.write_status({"status": "running"})
    assert path == tmp_path / "run" and list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- names, rows, status

ROW_COLUMNS = ["images", "d_loss", "g_loss", "lr"]


def test_new_run_path_is_dated_and_never_reuses_a_folder(tmp_path, monkeypatch):
    class Frozen(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return cls(2024, 1, 31, 23, 59, 58)

    monkeypatch.setattr(run_folder, "_dt", SimpleNamespace(datetime=Frozen))
    first = new_run_path(tmp_path, "dcgan")
    assert first == tmp_path / "2024-01-31-235958-dcgan"
    first.mkdir()
    second = new_run_path(tmp_path, "dcgan")
    assert second == tmp_path / "2024-01-31-235958-dcgan-1"
    second.mkdir()
    assert new_run_path(tmp_path, "dcgan").name == "2024-01-31-235958-dcgan-2"
    assert not any(p.is_file() for p in tmp_path.iterdir())  # naming creates nothing


def test_prepare_writes_config_report_and_a_header(tmp_path):
    folder = RunFolder(tmp_path / "run")
    folder.prepare("name: x\n", {"source": "random", "n": 3}, ROW_COLUMNS, images_seen=0)
    assert (tmp_path / "run" / "samples").is_dir()
    assert (tmp_path / "run" / "config.yaml").read_text() == "name: x\n"
    assert json.loads((tmp_path / "run" / "data_report.json").read_text()) == {
        "source": "random",
        "n": 3,
    }
    assert folder.metrics.read_text() == "images,d_loss,g_loss,lr\n"


def test_rows_format_floats_compactly_and_leave_missing_values_empty(tmp_path):
    folder = RunFolder(tmp_path)
    folder.prepare("", {}, ROW_COLUMNS, 0)
    folder.append_metrics({"images": 64, "d_loss": 1 / 3, "g_loss": None, "lr": 2e-4}, ROW_COLUMNS)
    folder.append_metrics({"images": 128, "d_loss": 12345678.9}, ROW_COLUMNS)
    assert folder.metrics.read_text().splitlines() == [
        "images,d_loss,g_loss,lr",
        "64,0.333333,,0.0002",
        "128,1.23457e+07,,",
    ]


def test_resume_drops_the_rows_logged_after_the_checkpoint(tmp_path):
    folder = RunFolder(tmp_path)
    folder.prepare("", {}, ROW_COLUMNS, 0)
    for images in (64, 128, 192, 256):
        folder.append_metrics({"images": images, "d_loss": 1.0}, ROW_COLUMNS)
    # Resumed from the checkpoint at 128 images: the rows of 192 and 256 are about to be replayed.
    RunFolder(tmp_path).prepare("", {}, ROW_COLUMNS, images_seen=128)
    rows = folder.metrics.read_text().splitlines()
    assert [r.split(",")[0] for r in rows] == ["images", "64", "128"]
    # A resumed run whose metrics.csv is gone starts a new one.
    folder.metrics.unlink()
    folder.prepare("", {}, ROW_COLUMNS, images_seen=128)
    assert folder.metrics.read_text() == "images,d_loss,g_loss,lr\n"


def test_resuming_a_run_of_an_earlier_version_renames_its_columns(tmp_path):
    folder = RunFolder(tmp_path)
    (tmp_path / "metrics.csv").write_text("images,g_steps,d_loss\n64,1,0.5\n128,2,0.4\n")
    folder.prepare("", {}, ["images", "iterations", "d_loss"], images_seen=64)
    assert folder.metrics.read_text() == "images,iterations,d_loss\n64,1,0.5\n"
    # A header of other columns is not a rename: it is kept as it was.
    (tmp_path / "metrics.csv").write_text("images,x\n64,1\n")
    folder.prepare("", {}, ["images", "iterations"], images_seen=64)
    assert folder.metrics.read_text().startswith("images,x\n")


def test_an_inactive_folder_writes_no_file_at_all(tmp_path):
    # Under torchrun only rank 0 writes.
    folder = RunFolder(tmp_path / "run", active=False)
    folder.prepare("name: x\n", {}, ROW_COLUMNS, 0)
    folder.append_metrics({"images": 1}, ROW_COLUMNS)
    folder.write_status({"status": "running"})
    assert not (tmp_path / "run").exists()


def test_write_status_replaces_run_json_whole(tmp_path):
    folder = RunFolder(tmp_path)
    folder.write_status({"status": "running"})
    folder.write_status({"status": "finished", "images": 512})
    assert json.loads((tmp_path / "run.json").read_text()) == {"status": "finished", "images": 512}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.json"]  # no temp files left
