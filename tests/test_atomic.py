"""Temporary files of atomic writes: one recognisable name, swept after a crash, never a live one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ganforge import atomic
from ganforge.atomic import (
    TEMP_PREFIX,
    atomic_path,
    atomic_write_bytes,
    is_temp_name,
    sweep_stale_temp_files,
)

OLD = time.time() - 3600  # an hour ago: well past STALE_AFTER_S


def _touch(path: Path, mtime: float = OLD, data: bytes = b"x") -> Path:
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))
    return path


def test_temp_files_carry_the_prefix(tmp_path):
    with atomic_path(tmp_path / "ckpt.safetensors") as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(TEMP_PREFIX)
        assert tmp.name.endswith(".safetensors") and is_temp_name(tmp.name)
        tmp.write_bytes(b"data")
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.safetensors"]


def test_sweep_removes_leftovers_and_nothing_else(tmp_path):
    leftovers = [
        ".ganforge-tmp-ab_3k9x2.safetensors",  # ours
        ".ganforge-tmp-zz0011aa",
        ".tmp-q1w2e3r4.safetensors",  # older ganforge
        ".tmp-q1w2e3r4.png",
        ".tmpxfLgSJ",  # the safetensors library's, 6 and 8 characters
        ".tmpAbCd1234",
    ]
    kept = [
        "notes.tmp",
        ".tmpfoo.txt",
        ".tmp",
        ".tmpab",  # too short for a library name
        ".tmp-notes.txt",
        ".ganforge-tmp-short",
        "ckpt-000000000128.safetensors",
        "tmpxfLgSJ",  # not hidden
    ]
    for name in leftovers + kept:
        _touch(tmp_path / name)
    (tmp_path / ".tmpDIR123").mkdir()  # a folder named like one: not a file we wrote
    os.symlink(tmp_path / "notes.tmp", tmp_path / ".tmpLINK12")
    removed = sweep_stale_temp_files(tmp_path)
    assert removed == sorted(leftovers)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(kept + [".tmpDIR123", ".tmpLINK12"])
    assert sweep_stale_temp_files(tmp_path) == []
    assert sweep_stale_temp_files(tmp_path / "missing") == []


def test_sweep_leaves_recent_files(tmp_path):
    _touch(tmp_path / ".tmp-q1w2e3r4.png", mtime=time.time())
    _touch(tmp_path / ".tmpxfLgSJ", mtime=time.time() - atomic.STALE_AFTER_S - 5)
    assert sweep_stale_temp_files(tmp_path) == [".tmpxfLgSJ"]
    assert [p.name for p in tmp_path.iterdir()] == [".tmp-q1w2e3r4.png"]


def test_sweep_leaves_a_file_being_written_in_this_process(tmp_path):
    with atomic_path(tmp_path / "big.safetensors") as tmp:
        tmp.write_bytes(b"half")
        os.utime(tmp, (OLD, OLD))  # even when it looks old: its writer holds the lock
        assert sweep_stale_temp_files(tmp_path, min_age_s=0) == []
        tmp.write_bytes(b"whole")
    assert (tmp_path / "big.safetensors").read_bytes() == b"whole"


_WRITER = """
import os, sys, time
from pathlib import Path
from ganforge.atomic import atomic_path
with atomic_path(Path(sys.argv[1]) / "ckpt.safetensors") as tmp:
    tmp.write_bytes(b"x" * 1000)
    print(tmp.name, flush=True)
    if sys.argv[2] == "die":
        os.kill(os.getpid(), 9)  # as kill -9 mid-write would
    time.sleep(60)
"""


@pytest.mark.skipif(atomic.fcntl is None, reason="advisory locks need fcntl (POSIX)")
def test_live_writer_in_another_process_is_left_alone_and_a_dead_ones_file_is_swept(tmp_path):
    live = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(tmp_path), "live"], stdout=subprocess.PIPE, text=True
    )
    try:
        name = live.stdout.readline().strip()
        assert is_temp_name(name) and (tmp_path / name).exists()
        assert sweep_stale_temp_files(tmp_path, min_age_s=0) == []
        assert (tmp_path / name).exists()
    finally:
        live.send_signal(signal.SIGKILL)
        live.wait(30)
    # Killed mid-write: its file stays, nobody holds its lock, so it goes.
    assert sweep_stale_temp_files(tmp_path, min_age_s=0) == [name]
    dead = subprocess.run(
        [sys.executable, "-c", _WRITER, str(tmp_path), "die"], capture_output=True, text=True
    )
    assert dead.returncode == -signal.SIGKILL
    name = dead.stdout.strip()
    assert [p.name for p in tmp_path.iterdir()] == [name]
    assert sweep_stale_temp_files(tmp_path, min_age_s=0) == [name]
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_bytes_leaves_only_the_file(tmp_path):
    atomic_write_bytes(tmp_path / "a.json", b"{}")
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


# --------------------------------------------------------------------------- folders


def test_atomic_dir_appears_whole_with_an_ordinary_mode(tmp_path):
    target = tmp_path / "a" / "b" / "run"
    with atomic.atomic_dir(target) as tmp:
        assert not target.exists() and tmp.parent == target.parent
        assert tmp.name.startswith(TEMP_PREFIX) and tmp.name.endswith(atomic.STAGING_SUFFIX)
        (tmp / "config.yaml").write_text("x")
    assert (target / "config.yaml").read_text() == "x"
    assert [p.name for p in target.parent.iterdir()] == ["run"]
    assert target.stat().st_mode & 0o777 == atomic.default_dir_mode()


def test_atomic_dir_that_fails_leaves_nothing_it_made(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "kept.txt").write_text("not ours")
    with pytest.raises(RuntimeError), atomic.atomic_dir(tmp_path / "a" / "b" / "c" / "run") as tmp:
        (tmp / "half.png").write_bytes(b"x")
        raise RuntimeError("the first sample grid failed")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a", "kept.txt"]


def test_atomic_dir_never_replaces_what_appeared_meanwhile(tmp_path):
    target = tmp_path / "run"
    with pytest.raises(FileExistsError), atomic.atomic_dir(target):
        target.mkdir()
    assert list(tmp_path.iterdir()) == [target]


def test_sweep_removes_dead_writers_folders_only(tmp_path):
    dead = tmp_path / ".ganforge-tmp-d3add3ad.new"
    (dead / "samples").mkdir(parents=True)
    (dead / "config.yaml").write_text("half")
    recent = tmp_path / ".ganforge-tmp-r3c3nt00.new"
    recent.mkdir()
    others = [tmp_path / "2026-01-01-run", tmp_path / ".ganforge-tmp-notanewdir"]
    for d in others:
        d.mkdir()
    link = tmp_path / ".ganforge-tmp-l1nk0000.new"
    link.symlink_to(others[0])
    for d in (dead, *others):
        os.utime(d, (OLD, OLD))
    assert atomic.sweep_stale_temp_dirs(tmp_path) == [dead.name]
    assert all(p.exists() for p in (recent, *others)) and link.is_symlink()


def test_sweep_leaves_a_folder_being_filled(tmp_path):
    with atomic.atomic_dir(tmp_path / "run") as tmp:
        os.utime(tmp, (OLD, OLD))  # old, but its writer (this process) holds the lock
        assert atomic.sweep_stale_temp_dirs(tmp_path) == []
        assert tmp.is_dir()
    assert (tmp_path / "run").is_dir()
