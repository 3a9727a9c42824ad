"""The front door, fuzzed: generated configs, command lines, checkpoint metadata and a hostile
image folder. The contract (docs/reliability.md): exit 0, or exit 2 with one ``ganforge: error:``
line and no traceback, and nothing half-made on disk.

Bounded for a fast suite: few examples each, no deadline (a shared CPU is slow at times), a fixed
seed (``derandomize``: the same examples every run) and no example database written to disk.
``GANFORGE_FUZZ=N`` runs N times the examples, freshly drawn: a longer hunt, by hand.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import shutil
import struct
import tempfile
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from PIL import Image

from ganforge.cli import main
from ganforge.config import field_docs, preset_names
from ganforge.errors import GanforgeError
from ganforge.runs import load_run
from ganforge.train import checkpoint as ckpt
from helpers import TOY_TINY, edit_checkpoint, files_under, skeleton_node, train_toy

# Hypothesis caches what it learns about the code under .hypothesis/ in the working folder: keep
# the checkout clean by caching in the temporary folder instead.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "ganforge-hypothesis")
HUNT = int(os.environ.get("GANFORGE_FUZZ", "0") or 0)
FUZZ = settings(
    deadline=None,
    derandomize=not HUNT,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _run(argv: list[str], cwd: Path) -> tuple[int, str, str]:
    """``ganforge ARGV`` in-process, in ``cwd``: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = main(argv)
    finally:
        os.chdir(old)
    return rc, out.getvalue(), err.getvalue()


def _one_error_line(rc: int, err: str, *, alone: bool = True) -> str:
    """The contract for exit code 2: no traceback, one ``ganforge: error:`` line, the last (and,
    when ``alone``, the only one: nothing else was said before it)."""
    assert rc == 2, (rc, err)
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    errors = [line for line in lines if line.startswith("ganforge: error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], lines
    if alone:
        assert lines == errors, lines
    return errors[0]


# --------------------------------------------------------------------------- configs

KEYS = [key for key, _, _ in field_docs()]
NASTY = [
    "0", "-1", "1", "2", "3", "64", "1e30", "-1e30", "1e400", "nan", "inf", "-inf", "2e6",
    "1.5", "0.5", "true", "false", "null", "~", "[]", "{}", "[1, 2]", "[0]", "[1e9]",
    "[[1]]", "abc", "''", "'", '"', "{a: 1}", "!!python/object/apply:os.system [ls]",
    "&a [*a]", "- 1", "0x10", "1_000", str(2**63), str(-(2**64)), "9" * 400, "é",
    "folder:/nonexistent", "cuda", "meta", "fp16", "bf16", "hinge", "adam", "none",
]  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(NASTY),
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=12),
)
OVERRIDES = st.lists(st.tuples(st.sampled_from(KEYS), VALUES), min_size=1, max_size=3)


@settings(FUZZ, max_examples=200 * max(HUNT, 1))
@given(preset=st.sampled_from(preset_names()), overrides=OVERRIDES)
def test_any_config_is_accepted_or_refused_in_one_line(preset, overrides):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        argv = ["train", "--dry-run", f"--preset={preset}", f"--out={tmp / 'runs'}"]
        argv += [f"--set={k}={v}" for k, v in overrides]
        rc, out, err = _run(argv, tmp)
        event(f"exit {rc}")
        if rc == 0:
            assert err == "" and "name:" in out
        else:
            _one_error_line(rc, err)
        assert list(tmp.iterdir()) == []  # a dry run writes nothing


# A toy run of 128 images with fuzzed losses, optimizers and schedules: trains, or fails in one
# line. Values stay in ranges that train quickly when they are valid.
TRAIN_VALUES = {
    "loss.name": st.sampled_from(["auto", "hinge", "wasserstein", "lsgan", "nonsat", "", "x"]),
    "loss.gp_weight": st.sampled_from(["0", "10", "-1", "nan", "1e30"]),
    "loss.r1_gamma": st.sampled_from(["0", "1", "-1", "inf"]),
    "loss.clip": st.sampled_from(["0", "0.01", "-0.01", "x"]),
    "loss.label_smoothing": st.sampled_from(["0", "0.1", "1", "2", "nan"]),
    "g_optim.lr": st.sampled_from(["1e-3", "0", "1e30", "-1", "nan", "fast"]),
    "d_optim.betas": st.sampled_from(["[0.5, 0.9]", "[1, 1]", "[0.5]", "[nan, 0.9]", "0.5"]),
    "d_optim.name": st.sampled_from(["adam", "rmsprop", "sgd"]),
    "train.n_critic": st.sampled_from(["1", "2", "0", "-1", "1.5"]),
    "train.ema_halflife": st.sampled_from(["0", "100", "-5", "1e13"]),
    "train.lr_schedule": st.sampled_from(["constant", "linear", "cosine", "warp"]),
    "train.batch_size": st.sampled_from(["32", "64", "0", "4096", "1e9"]),
    "train.grid_size": st.sampled_from(["1", "4", "0", "5000"]),
    "train.seed": st.sampled_from(["0", "7", "-1", str(2**40)]),
    "model.g_hidden": st.sampled_from(["[8]", "[]", "[0]", "[8, 8]", "8"]),
    "model.z_dim": st.sampled_from(["2", "1", "0", "100000"]),
    "runtime.precision": st.sampled_from(["fp32", "bf16", "fp16", "auto", "fp8"]),
}


@settings(FUZZ, max_examples=10 * max(HUNT, 1))
@given(st.dictionaries(st.sampled_from(sorted(TRAIN_VALUES)), st.just(None), max_size=3).flatmap(
    lambda keys: st.fixed_dictionaries({k: TRAIN_VALUES[k] for k in keys})
))  # fmt: skip
def test_training_any_toy_config_finishes_or_fails_in_one_line(overrides):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        over = {**TOY_TINY, "train.images": 128, **overrides}
        argv = ["train", "--preset=toy-ring-mlp", "--no-progress", f"--out={tmp / 'runs'}"]
        argv += [f"--set={k}={v}" for k, v in over.items()]
        rc, _, err = _run(argv, tmp)
        runs = list((tmp / "runs").iterdir()) if (tmp / "runs").exists() else []
        event(f"exit {rc}, {len(runs)} run folder(s)")
        if rc == 0:
            assert len(runs) == 1
            assert json.loads((runs[0] / "run.json").read_text())["status"] == "finished"
            return
        _one_error_line(rc, err, alone=not runs)
        for run in runs:  # failed once training ran (e.g. NaN): recorded as failed, not half-made
            assert json.loads((run / "run.json").read_text())["status"] == "failed"
        assert [p.name for p in tmp.iterdir()] == (["runs"] if runs else [])


# --------------------------------------------------------------------------- command lines

COMMANDS = [
    "train", "presets", "tasks", "eval", "memorization", "sample", "interpolate", "sheet",
    "arithmetic", "ablate", "invert", "export", "report", "translate", "upscale", "inpaint",
    "demo", "nonsense", "",
]  # fmt: skip
TOKENS = [
    "--set", "--preset", "--data", "--out", "--name", "--resume", "--checkpoint", "--n", "--seed",
    "--device", "--steps", "--format", "--truncation", "--class", "--layer", "--channels",
    "--region", "--direction", "--input", "--real", "--fake", "--metrics", "--help-config",
    "--no-ema", "--mask", "--masks", "--tile", "--port", "--gallery", "-h", "--", "-", "{missing}",
    "{file}", "{empty}",
    "{notrun}", "{missing}/x.png",
    "0", "-1", "1e999", "nan", "abc", "", "x=y", "train.images=1", "folder:{empty}",
    "dcgan-fashion-mnist", "AtoB", "onnx", "fid", "\x00", "é",
]  # fmt: skip


@settings(FUZZ, max_examples=200 * max(HUNT, 1))
@given(
    command=st.sampled_from(COMMANDS),
    tokens=st.lists(st.sampled_from(TOKENS), max_size=6),
)
def test_any_command_line_exits_0_or_2_in_one_line(command, tokens):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "file.png").write_bytes(b"not an image")
        (tmp / "empty").mkdir()
        (tmp / "notrun" / "checkpoints").mkdir(parents=True)
        subs = {
            "{missing}": str(tmp / "missing"),
            "{file}": str(tmp / "file.png"),
            "{empty}": str(tmp / "empty"),
            "{notrun}": str(tmp / "notrun"),
        }
        argv = [command] if command else []
        for token in tokens:
            for key, value in subs.items():
                token = token.replace(key, value)
            argv.append(token)
        if command == "train":  # never a real training run: that is the config fuzz's job
            argv.append("--dry-run")
        before = files_under(tmp)
        rc, out, err = _run(argv, tmp)
        event(f"exit {rc}")
        assert rc in (0, 2), (argv, rc, err)
        if rc == 2:
            _one_error_line(rc, err)
            assert files_under(tmp) == before, argv
        else:
            assert "Traceback" not in err


# --------------------------------------------------------------------------- checkpoint metadata


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    return train_toy(tmp_path_factory.mktemp("fuzz"))


def _leaves(node, path=()):
    """Every leaf of a skeleton (a tensor marker counts as one) with its key path."""
    if isinstance(node, dict) and set(node) in ({"$t"}, set()):
        yield path
    elif isinstance(node, dict) and set(node) in ({"$int"}, {"$tuple"}):
        yield from _leaves(next(iter(node.values())), path)
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, (*path, str(i)))
    else:
        yield path


def _skeleton_paths(run: Path) -> tuple[list[tuple], list[tuple]]:
    found = {"plain": [], "tensor": []}

    def collect(skeleton):
        for path in _leaves(skeleton):
            parent, key = skeleton_node(skeleton, path)
            kind = "tensor" if isinstance(parent[key], dict) else "plain"
            found[kind].append(path)

    probe = run.parent / "probe.safetensors"
    shutil.copy(ckpt.list_checkpoints(run / "checkpoints")[-1], probe)
    edit_checkpoint(probe, collect)
    probe.unlink()
    return found["plain"], found["tensor"]


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=4,
)


def test_any_edit_of_checkpoint_metadata_resumes_or_fails_in_one_line(toy_run):
    plain, tensor = _skeleton_paths(toy_run)
    outcomes: dict[str, int] = {}

    @settings(FUZZ, max_examples=40 * max(HUNT, 1))
    @given(
        path=st.sampled_from(plain) | st.sampled_from(tensor),
        action=st.sampled_from(["set", "set", "set", "delete"]),
        value=JSON_VALUES,
    )
    def check(path, action, value):
        with tempfile.TemporaryDirectory() as tmp:
            run = Path(tmp) / "run"
            shutil.copytree(toy_run, run)
            newest = ckpt.list_checkpoints(run / "checkpoints")[-1]

            def edit(skeleton):
                parent, key = skeleton_node(skeleton, path)
                if action == "delete":
                    del parent[key]
                else:
                    parent[key] = value

            edit_checkpoint(newest, edit)
            before = files_under(run)
            rc, _, err = _run(["train", "--resume", str(run), "--set=train.images=384"], run)
            outcome = "refused" if rc == 2 and files_under(run) == before else f"resumed, exit {rc}"
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            event(outcome)
            if outcome == "refused":
                _one_error_line(rc, err)
            else:  # resumed: it trained on, or failed in training and said so in one line
                if rc == 2:
                    _one_error_line(rc, err, alone=False)
                else:
                    assert rc == 0, err
                names = [p.name for p in (run / "checkpoints").iterdir()]
                assert all(ckpt.images_of(Path(n)) is not None for n in names), names
                assert ckpt.list_checkpoints(run / "checkpoints")[-1].name in (
                    newest.name,
                    ckpt.checkpoint_name(384),
                ), names
            try:
                load_run(run, checkpoint=newest.name)
            except GanforgeError as e:
                assert "\n" not in str(e)

    check()
    print(f"checkpoint metadata fuzz: {outcomes}")
    assert outcomes.get("refused") and outcomes.get("resumed, exit 0"), outcomes


# --------------------------------------------------------------------------- a hostile folder


def _png_bomb(path: Path, side: int) -> None:
    """A 1-bit PNG of side x side zeros: a few tens of KB that decode to side**2 pixels."""
    row = b"\0" + b"\0" * ((side + 7) // 8)
    data = zlib.compress(row * side, 9)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def _hostile_folder(root: Path, outside: Path) -> tuple[set[str], int]:
    """Good images in odd modes and bad files of every kind -> (bad names, good count)."""
    root.mkdir()
    rng = random.Random(0)
    noise = bytes(rng.randrange(256) for _ in range(80 * 60 * 4))
    rgba = Image.frombytes("RGBA", (80, 60), noise)
    good = {
        "rgb.png": rgba.convert("RGB"),
        "grey.jpg": rgba.convert("L"),
        "alpha.png": rgba,
        "grey-alpha.png": rgba.convert("LA"),
        "palette.gif": rgba.convert("P"),
        "one-bit.bmp": rgba.convert("1"),
        "cmyk.jpg": rgba.convert("CMYK"),
        "deep.png": rgba.convert("L").convert("I;16"),
        "float.tif": rgba.convert("L").convert("F"),
    }
    for name, img in good.items():
        img.save(root / name)
    outside.mkdir()
    rgba.convert("RGB").save(outside / "elsewhere.png")
    (root / "link-out.png").symlink_to(outside / "elsewhere.png")  # followed: a good image
    (root / "link-in.png").symlink_to(root / "rgb.png")  # a second name for one: used twice
    truncated = (root / "rgb.png").read_bytes()
    bad = {
        "truncated.png": truncated[: len(truncated) // 2],
        "random.jpg": bytes(rng.randrange(256) for _ in range(4000)),
        "empty.png": b"",
        "text.png": b"this is not an image\n",
    }
    for name, data in bad.items():
        (root / name).write_bytes(data)
    _png_bomb(root / "bomb.png", 20_000)  # 400 Mpixels: over data.max_pixels by its header
    (root / "broken-link.png").symlink_to(root / "gone.png")
    (root / "loop.png").symlink_to(root / "loop.png")
    os.mkfifo(root / "fifo.png")
    (root / "up").symlink_to(root)  # a link to a folder holding the data set: not walked
    names = {*bad, "bomb.png", "broken-link.png", "loop.png", "fifo.png", "up"}
    if os.geteuid() != 0:  # root reads any file: only others can test a file it may not read
        (root / "secret.png").write_bytes(truncated)
        (root / "secret.png").chmod(0)
        names.add("secret.png")
    return names, len(good) + 2


def test_a_hostile_image_folder_trains_and_lists_every_bad_file(tmp_path):
    bad, n_good = _hostile_folder(tmp_path / "images", tmp_path / "outside")
    over = {
        "model.g_width": 8,
        "model.d_width": 8,
        "train.batch_size": 4,
        "train.images": 4,
        "train.grid_size": 4,
        "train.report": False,
        "runtime.tensorboard": False,
        "runtime.threads": 1,
    }
    argv = ["train", "--preset=dcgan-folder-64", f"--data=folder:{tmp_path / 'images'}"]
    argv += [
        "--no-progress",
        f"--out={tmp_path / 'runs'}",
        *[f"--set={k}={v}" for k, v in over.items()],
    ]
    rc, _, err = _run(argv, tmp_path)
    assert rc == 0, err
    (run,) = (tmp_path / "runs").iterdir()
    report = json.loads((run / "data_report.json").read_text())
    listed = {Path(s["file"].rstrip("/")).name for s in report["skipped"]}
    assert bad <= listed, (bad - listed, report["skipped"])
    assert report["n_images"] == n_good, report
    assert all(s["reason"] for s in report["skipped"])
    assert json.loads((run / "run.json").read_text())["status"] == "finished"
