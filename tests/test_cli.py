"""The console script end to end in a temp folder, Ctrl-C, and every bad input of the CLI."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from ganforge.cli import main

TINY = [
    "--set=data.split=test",
    "--set=data.max_images=512",
    "--set=model.g_width=8",
    "--set=model.d_width=8",
    "--set=train.batch_size=32",
    "--set=train.log_every=64",
    "--set=train.sample_every=128",
    "--set=train.checkpoint_every=128",
    "--set=runtime.tensorboard=false",
    "--no-progress",
]


def _console_script() -> list[str]:
    exe = shutil.which("ganforge")
    return [exe] if exe else [sys.executable, "-m", "ganforge"]


def _run(args, cwd, **kw):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        _console_script() + args, cwd=cwd, env=env, capture_output=True, text=True, **kw
    )


def _only_run(out: Path) -> Path:
    runs = [p for p in out.iterdir() if p.is_dir()]
    assert len(runs) == 1, runs
    return runs[0]


def test_console_script_trains_and_resumes(tmp_path):
    r = _run(["train", *TINY, "--set=train.images=256"], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    run = _only_run(tmp_path / "runs")
    for name in ("config.yaml", "metrics.csv", "losses.png", "run.json", "data_report.json"):
        assert (run / name).is_file(), name
    assert (run / "samples" / "reals.png").is_file()
    assert len(list((run / "samples").glob("fakes-*.png"))) == 2
    assert json.loads((run / "run.json").read_text())["status"] == "finished"
    rows = (run / "metrics.csv").read_text().splitlines()
    assert rows[0].startswith("images,iterations,d_loss,g_loss,d_real,d_fake")
    assert [int(r.split(",")[0]) for r in rows[1:]] == [64, 128, 192, 256]

    r = _run(["train", "--resume", str(run), "--set=train.images=384", "--no-progress"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert "resuming" in r.stderr and "256" in r.stderr
    rows = (run / "metrics.csv").read_text().splitlines()
    assert [int(r.split(",")[0]) for r in rows[1:]] == [64, 128, 192, 256, 320, 384]
    assert json.loads((run / "run.json").read_text())["images_seen"] == 384


def test_dry_run_prints_the_resolved_config_and_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["train", "--preset", "wgangp-fashion-mnist", "--set", "train.images=2e6", "--dry-run"]
    assert main(args) == 0
    cfg = yaml.safe_load(capsys.readouterr().out)
    assert cfg["train"]["images"] == 2_000_000 and cfg["train"]["n_critic"] == 5
    assert cfg["loss"]["gp_weight"] == 10.0
    assert list(tmp_path.iterdir()) == []


def _hand_made_run(tmp_path: Path, preset: str = "wgangp-fashion-mnist") -> Path:
    """A run folder as far as --dry-run looks: its config.yaml."""
    from ganforge.config import load_config

    run = tmp_path / "runs" / "2026-01-01-000000-x"
    run.mkdir(parents=True)
    (run / "config.yaml").write_text(load_config(preset).to_yaml())
    return run


def test_resume_dry_run_shows_the_set_overrides(tmp_path, capsys):
    run = _hand_made_run(tmp_path)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    args = ["train", "--resume", str(run), "--dry-run"]
    assert main([*args, "--set", "train.images=5e5", "--no-progress"]) == 0
    cfg = yaml.safe_load(capsys.readouterr().out)
    assert cfg["train"]["images"] == 500_000  # the override, not the run's 1e6
    assert cfg["runtime"]["progress"] is False
    assert cfg["loss"]["gp_weight"] == 10.0 and cfg["name"] == "wgangp-fashion-mnist"  # the run's
    assert main(args) == 0
    assert yaml.safe_load(capsys.readouterr().out)["train"]["images"] == 1_000_000
    # The same checks as a real resume: a key used as a section is one line, exit 2.
    assert main([*args, "--set", "train.images.x=1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "train.images is a value, not a section" in err[0], err
    assert main([*args, "--set", "model.g_width=0"]) == 2
    assert "model.g_width=0 must be at least 1" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_ctrl_c_while_loading_data_is_one_line_exit_130(tmp_path, capsys, monkeypatch):
    from ganforge.tasks.gan import GANTask

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(GANTask, "load_data", classmethod(interrupted))  # the task's reader
    out = tmp_path / "runs"
    assert main(["train", *TINY, "--set=train.images=128", f"--out={out}"]) == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["interrupted before training started; nothing was written"]
    assert not out.exists()


def test_help_config_lists_keys(capsys):
    assert main(["train", "--help-config"]) == 0
    out = capsys.readouterr().out
    assert "train.n_critic" in out and "loss.gp_weight" in out


def test_ctrl_c_checkpoints_and_resumes(tmp_path):
    args = ["train", *TINY, "--set=train.images=1e7", "--set=train.checkpoint_every=1e7"]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen(
        _console_script() + args, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.time() + 120
        metrics = None
        while time.time() < deadline:
            found = list((tmp_path / "runs").glob("*/metrics.csv"))
            if found and len(found[0].read_text().splitlines()) >= 3:
                metrics = found[0]
                break
            time.sleep(0.2)
        assert metrics is not None, "training did not start"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted" in err and "--resume" in err
    run = metrics.parent
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "interrupted" and info["signal"] == "SIGINT"
    seen = info["images_seen"]
    assert info["checkpoints"] == [f"ckpt-{seen:012d}.safetensors"]
    r = _run(
        ["train", "--resume", str(run), f"--set=train.images={seen + 64}", "--no-progress"],
        tmp_path,
    )
    assert r.returncode == 0, r.stderr
    assert json.loads((run / "run.json").read_text())["images_seen"] == seen + 64


# --------------------------------------------------------------------------- bad input


def _make_folder(root: Path, kind: str) -> Path:
    root.mkdir()
    if kind == "non-images":
        (root / "notes.txt").write_text("hello")
        (root / "data.csv").write_text("1,2,3")
    elif kind == "corrupt":
        for i in range(3):
            (root / f"img{i}.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    return root


def _foreign_checkpoint(tmp_path: Path) -> Path:
    """A run whose newest checkpoint comes from a model of another width."""
    out = tmp_path / "made"
    assert main(["train", *TINY, "--set=train.images=128", f"--out={out}"]) == 0
    assert (
        main(
            [
                "train",
                *TINY,
                "--set=train.images=128",
                "--set=model.g_width=16",
                f"--out={out}",
                "--name=other",
            ]
        )
        == 0
    )
    run, other = sorted(p for p in out.iterdir())
    target = run / "checkpoints" / "ckpt-000000000999.safetensors"
    shutil.copy(next((other / "checkpoints").iterdir()), target)
    return run


def _no_checkpoint_run(tmp_path: Path) -> Path:
    run = tmp_path / "made" / "half"
    run.mkdir(parents=True)
    (run / "config.yaml").write_text(yaml.safe_dump({"name": "half"}))
    return run


BAD = {
    "unknown preset": (["--preset", "dcgan-fashion-mnst"], "did you mean 'dcgan-fashion-mnist'"),
    "mistyped key": (["--set", "train.imags=5"], "did you mean 'train.images'"),
    "wrong type": (["--set", "train.batch_size=big"], "train.batch_size must be an integer"),
    "bad choice": (["--set", "loss.name=hinj"], "did you mean 'hinge'"),
    "bad --set": (["--set", "train.images"], "must look like section.key=value"),
    "missing folder": (["--data", "folder:{tmp}/nowhere"], "does not exist"),
    "empty folder": (["--data", "folder:{empty}"], "is empty"),
    "non-images": (["--data", "folder:{non-images}"], "no image files"),
    "all corrupt": (["--data", "folder:{corrupt}"], "could be read"),
    "missing data": (
        ["--data", "mnist", "--set", "data.download=false"],
        "save it as train-images",
    ),
    "resume no ckpt": (["--resume", "{half}"], "no checkpoint to resume from"),
    "resume not a run": (["--resume", "{tmp}"], "not a ganforge run folder"),
    "foreign ckpt": (["--resume", "{foreign}"], "does not match this run's model"),
    "resume + preset": (["--resume", "{tmp}", "--preset", "x"], "drop --preset"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_line_exit_2_and_writes_nothing(case, tmp_path, capsys, monkeypatch):
    args, expected = BAD[case]
    empty_dir = tmp_path / "no-system-copy"
    empty_dir.mkdir()
    monkeypatch.setenv("GANFORGE_DATASETS", str(empty_dir))
    subs = {"tmp": str(tmp_path)}
    for kind in ("empty", "non-images", "corrupt"):
        if "{" + kind + "}" in " ".join(args):
            subs[kind] = str(_make_folder(tmp_path / kind, kind))
    if "{half}" in args:
        subs["half"] = str(_no_checkpoint_run(tmp_path))
    if "{foreign}" in args:
        subs["foreign"] = str(_foreign_checkpoint(tmp_path))
    capsys.readouterr()
    out = tmp_path / "runs"
    argv = ["train", *[a.format(**subs) for a in args], "--no-progress", f"--out={out}"]
    if "--resume" in args:
        argv.remove(f"--out={out}")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ganforge: error: "), err
    assert expected in err[0], err[0]
    assert not out.exists()  # no run folder, not even a half-written one
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


# --------------------------------------------------------------------------- one line, always


@pytest.mark.parametrize(
    "argv,expected",
    [
        (["train", "--bogus"], "unrecognized arguments: --bogus (see `ganforge --help`)"),
        (["sample"], "the following arguments are required"),
        (["nonsense"], "invalid choice: 'nonsense'"),
        ([], "give a command"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(argv, expected, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ganforge: error: ") and expected in err[0], err


def test_help_and_version_exit_0(capsys):
    assert main(["--version"]) == 0 and "ganforge" in capsys.readouterr().out
    assert main(["train", "--help"]) == 0 and "--resume" in capsys.readouterr().out


def test_environment_failures_of_any_command_are_one_line(monkeypatch, capsys):
    import errno

    from ganforge.commands import presets

    def full(args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/out/grid.png")

    monkeypatch.setattr(presets, "run", full)
    assert main(["presets"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"ganforge: error: /out/grid.png: {os.strerror(errno.ENOSPC)}; free some space, "
        "or write elsewhere"
    ]

    def bug(args):
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(presets, "run", bug)
    with pytest.raises(OSError):  # not the environment's: a bug keeps its traceback
        main(["presets"])


def test_a_message_quoting_line_breaks_stays_one_line(monkeypatch, capsys):
    from ganforge.commands import presets
    from ganforge.errors import GanforgeError

    def bad(args):
        raise GanforgeError("name='a\nb\x1cc' is not a plain run name")

    monkeypatch.setattr(presets, "run", bad)
    assert main(["presets"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "ganforge: error: name='a b c' is not a plain run name"
    ]
