"""torchrun on CPU (gloo): 2 processes match 1 on the same global batch, rank 0 alone writes, EMA is
identical on every rank, a 2-process checkpoint resumes on 1 process, every preset trains, and bad
launches fail with one line.

Starting torchrun costs seconds, so one launch (ddp_jobs.py) runs every job in one process group
and the tests below read what it left; the 1-process references run in this process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from ganforge.cli import main
from ganforge.config import load_config, preset_names
from ganforge.runtime import distributed
from ganforge.train.trainer import Trainer
from helpers import random_images
from tiny_text2image import TINY as T2I_TINY

TESTS = Path(__file__).resolve().parents[1]
DRIVER = Path(__file__).with_name("ddp_jobs.py")
QUIET = {"runtime.progress": False, "runtime.tensorboard": False}

# Models without batch norm or dropout: the 2-process update equals the 1-process one by
# construction (runtime/distributed.py), up to the order of float sums. fp32: bf16 autocast (the
# auto choice on CPUs with AVX512-BF16) rounds each half batch differently from the whole.
EXACT = {**QUIET, "runtime.precision": "fp32"}
TOY = {
    **EXACT,
    "data.toy_samples": 1024,
    "model.g_hidden": [32, 32],
    "model.d_hidden": [32, 32],
    "train.batch_size": 64,
    "train.log_every": 128,
    "train.sample_every": 640,
    "train.checkpoint_every": 640,
}
EQUIVALENCE = {
    # R1 on real data through the eager D, n_critic 1 (the D phase's fake is reused by G).
    "ring-r1": ("toy-ring-mlp", {**TOY, "train.images": 640}, None),
    # WGAN-GP: the penalty's alpha is drawn for the global batch; n_critic 2 (fresh fakes for G).
    "ring-wgangp": (
        "toy-ring-mlp",
        {
            **TOY,
            "train.images": 640,
            "loss.name": "wasserstein",
            "loss.gp_weight": 10.0,
            "loss.r1_gamma": 0.0,
            "train.n_critic": 2,
        },
        None,
    ),
    # Images: data indices and the hflip mask drawn for the global batch, then sliced.
    "vanilla-hflip": (
        "vanilla-mnist-mlp",
        {
            **EXACT,
            "data.hflip": True,
            "train.batch_size": 32,
            "train.images": 320,
            "train.log_every": 64,
            "train.sample_every": 320,
            "train.checkpoint_every": 320,
            "train.grid_size": 16,
        },
        (256, 1, 28),
    ),
}

# The CLI run resumed on one process: 1024 images on 2 processes, with an evaluation (rank 0).
CLI_TOY = [
    "data.toy_samples=1024",
    "model.g_hidden=[32,32]",
    "model.d_hidden=[32,32]",
    "train.batch_size=64",
    "train.log_every=128",
    "train.sample_every=512",
    "train.checkpoint_every=512",
    "train.eval_every=512",
    "train.eval_metrics=[modes]",
    "train.eval_n=256",
    "runtime.tensorboard=false",
    "runtime.precision=fp32",
]


def _offline(name: str) -> bool:
    """GAN presets run on stand-in data; image-to-image presets only as their offline demos (the
    others read photo sets that are not on the test machine; they train the same tasks)."""
    cfg = load_config(name)
    return cfg.model.task in ("gan", "r3gan") or not cfg.data.source.endswith(":")


PRESETS = [p for p in preset_names() if _offline(p)]


def _preset_sets(name: str) -> list[str]:
    """Two iterations of the preset at tiny size, on data that is on every machine."""
    cfg = load_config(name)
    images = 2 * 32 * cfg.train.n_critic
    sets = [
        "train.batch_size=32",
        f"train.images={images}",
        f"train.log_every={images // 2}",
        f"train.sample_every={images}",
        f"train.checkpoint_every={images}",
        "train.grid_size=16",
        "model.g_width=8",
        "model.d_width=8",
        "runtime.tensorboard=false",
    ]
    if cfg.data.is_toy:
        sets += ["data.toy_samples=1024", "model.g_hidden=[16]", "model.d_hidden=[16]"]
    elif cfg.model.task not in ("gan", "r3gan", "fastgan"):  # the offline image-to-image demos
        pass
    else:  # the embedded Fashion-MNIST test split stands in for MNIST, CIFAR-10 and folders
        sets += ["data.source=fashion-mnist", "data.split=test", "data.max_images=256"]
    if cfg.model.task == "r3gan":  # RGB presets read the grey split as RGB; the stage plan of
        # the tiny widths, not the paper's 768 channels
        sets += ["r3gan.widths=[]", "r3gan.max_width=16", "r3gan.group_width=8"]
    if cfg.model.task == "text2image":  # a small sentence encoder, and a short pre-training
        # phase (the preset's 25,600 images would be most of this launch's time)
        sets += [f"{k}={v}" for k, v in T2I_TINY.items() if k.startswith("text2image.")]
    if name == "dcgan-fashion-mnist":
        sets.append("runtime.sync_bn=true")  # CPU: falls back with a note
    return sets


def _cli(out: Path, name: str, preset: str, sets: list[str]) -> dict:
    args = ["train", "--preset", preset, "--no-progress", f"--out={out}", f"--name={name}"]
    return {"kind": "cli", "name": name, "args": args + [f"--set={s}" for s in sets]}


def _env(root: Path, threads: int = 1) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(TESTS), os.environ.get("PYTHONPATH")) if p)
    return {
        **os.environ,
        "PYTHONPATH": path,
        "OMP_NUM_THREADS": str(threads),
        "PYTHONWARNINGS": "ignore",
        "GANFORGE_CACHE": str(root / "cache"),
    }


def _torchrun(args: list[str], root: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--standalone"]
    return subprocess.run(
        cmd + args, cwd=root, env=_env(root), capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def launched(tmp_path_factory) -> tuple[Path, str]:
    """One torchrun launch running every job; (root folder, its stderr)."""
    root = tmp_path_factory.mktemp("ddp")
    jobs: list[dict] = [{"kind": "grad_hook"}]
    for name, (preset, over, data) in EQUIVALENCE.items():
        over = {**over, "out_dir": str(root / "runs" / name)}
        jobs.append(
            {
                "kind": "trainer",
                "name": name,
                "preset": preset,
                "overrides": over,
                "data": data,
                "dump": str(root / "dumps" / name),
            }
        )
    jobs.append(_cli(root / "cli", "toy", "toy-ring-mlp", [*CLI_TOY, "train.images=1024"]))
    stop = {**TOY, "train.images": 64_000, "train.log_every": 256, "out_dir": str(root / "stop")}
    jobs.append({"kind": "interrupt", "preset": "toy-ring-mlp", "overrides": stop})
    jobs += [_cli(root / "presets", p, p, _preset_sets(p)) for p in PRESETS]
    (root / "jobs.json").write_text(json.dumps(jobs))
    r = _torchrun([str(DRIVER), str(root / "jobs.json")], root)
    assert r.returncode == 0, r.stderr[-4000:]
    return root, r.stderr


def _one_process(preset: str, over: dict, data, out: Path) -> dict[str, torch.Tensor]:
    """What ddp_jobs.py dumps, from one process: weights, EMA and the last step's gradients."""
    data = random_images(*data) if data else None
    torch.set_num_threads(1)
    t = Trainer(load_config(preset, {**over, "out_dir": str(out)}), data=data).fit()
    nets = {"G": t.task.G, "D": t.task.D, "EMA": t.ema["G"].model}
    state = {f"{n}.{k}": v for n, m in nets.items() for k, v in m.state_dict().items()}
    for n in ("G", "D"):
        state.update({f"grad.{n}.{k}": p.grad for k, p in nets[n].named_parameters()})
    return state


def _max_diff(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max(float((a[k].double() - b[k].double()).abs().max()) for k in a)


def _rel_diff(a: dict, b: dict, prefix: str) -> float:
    """||a - b|| / ||b|| over the entries starting with ``prefix``."""
    keys = [k for k in b if k.startswith(prefix)]
    da = torch.cat([(a[k].double() - b[k].double()).flatten() for k in keys])
    return float(da.norm() / torch.cat([b[k].double().flatten() for k in keys]).norm())


@pytest.mark.parametrize("name", list(EQUIVALENCE))
def test_two_processes_match_one_process(launched, name, tmp_path):
    root, _ = launched
    rank0 = load_file(root / "dumps" / name / "rank0.safetensors")
    rank1 = load_file(root / "dumps" / name / "rank1.safetensors")
    # Gradients are averaged before every step, so the ranks hold bit-identical weights and EMA.
    assert _max_diff(rank0, rank1) == 0.0
    preset, over, data = EQUIVALENCE[name]
    single = _one_process(preset, over, data, tmp_path)
    # Adam's step is scale-free, so weights alone would not show a wrongly scaled gradient term:
    # compare the last step's gradients too (float-sum order: ~1e-7 relative).
    for net in ("G", "D"):
        assert _rel_diff(rank0, single, f"grad.{net}.") < 1e-5, net
    weights = {k: v for k, v in single.items() if not k.startswith("grad.")}
    assert _max_diff({k: rank0[k] for k in weights}, weights) < 1e-5


def test_rank_zero_alone_writes_the_run_folder(launched):
    root, stderr = launched
    (run,) = (root / "cli").iterdir()  # rank 1 made no folder of its own
    assert stderr.count(f"run folder: {run}") == 1
    names = {p.name for p in run.iterdir()}
    for f in ("config.yaml", "metrics.csv", "run.json", "samples", "checkpoints", "losses.png"):
        assert f in names, f
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "finished" and info["world_size"] == 2
    assert info["images_seen"] == 1024 and info["iterations"] == 16
    rows = (run / "metrics.csv").read_text().splitlines()[1:]
    assert [int(r.split(",")[0]) for r in rows] == list(range(128, 1025, 128))  # once each
    evals = (run / "metrics-eval.csv").read_text().splitlines()[1:]
    assert [int(r.split(",")[0]) for r in evals] == [512, 1024]  # evaluated on rank 0 only


def test_two_process_checkpoint_resumes_on_one_process(launched, tmp_path):
    root, _ = launched
    (run,) = (root / "cli").iterdir()
    torch.set_num_threads(1)
    resumed = Trainer.resume(run, ["train.images=1536"]).fit()
    straight_cfg = load_config(
        "toy-ring-mlp",
        [*CLI_TOY, "train.images=1536", f"out_dir={tmp_path}", "runtime.progress=false"],
    )
    straight = Trainer(straight_cfg).fit()
    assert resumed.images_seen == straight.images_seen == 1536
    for k in ("G", "D"):
        a, b = resumed.task.nets[k].state_dict(), straight.task.nets[k].state_dict()
        assert _max_diff(a, b) < 1e-5, k
    assert (
        _max_diff(resumed.ema["G"].model.state_dict(), straight.ema["G"].model.state_dict()) < 1e-5
    )


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_trains_under_torchrun(launched, name):
    root, stderr = launched
    (run,) = (root / "presets").glob(f"*-{name}")
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "finished" and info["iterations"] == 2 and info["world_size"] == 2
    assert len(info["checkpoints"]) == 1
    if name == "dcgan-fashion-mnist":
        assert any("SyncBatchNorm needs CUDA" in n for n in info["notes"])
    elif name == "wgan-fashion-mnist":
        assert any(
            "batch norm normalises over each process's 16 images" in n for n in info["notes"]
        )


def test_ctrl_c_on_one_rank_stops_all_at_the_next_log_step(launched):
    root, stderr = launched
    assert "rank 0: interrupt ok" in stderr and "rank 1: interrupt ok" in stderr
    (run,) = (root / "stop").iterdir()
    info = json.loads((run / "run.json").read_text())
    # Signalled at 128 images; the ranks agree at the next log step (256), then checkpoint.
    assert info["status"] == "interrupted" and info["signal"] == "SIGINT"
    assert info["images_seen"] == 256 and info["checkpoints"] == ["ckpt-000000000256.safetensors"]


def test_gradient_averaging_fallback_for_tasks_without_ddp(launched):
    _, stderr = launched
    assert "rank 0: grad_hook ok" in stderr and "rank 1: grad_hook ok" in stderr


# --------------------------------------------------------------------------- bad launches


def _as_rank0_of(monkeypatch, world: int, local: int | None = None) -> None:
    env = {"WORLD_SIZE": world, "RANK": 0, "LOCAL_RANK": 0, "LOCAL_WORLD_SIZE": local or world}
    for k, v in env.items():
        monkeypatch.setenv(k, str(v))


TINY = ["--preset", "toy-ring-mlp", "--set=data.toy_samples=256", "--no-progress"]


@pytest.mark.parametrize(
    "sets,cuda_count,message",
    [
        (["train.batch_size=33"], 0, "does not split over 2 processes: use a multiple of 2"),
        (["runtime.device=cuda"], 0, "no CUDA device is available"),
        (["runtime.device=cuda"], 1, "has 1 GPU: use --nproc_per_node=1"),
        (["runtime.device=cuda:1"], 2, "each process uses cuda:LOCAL_RANK"),
    ],
)
def test_bad_launch_is_one_line_before_joining(
    sets, cuda_count, message, monkeypatch, tmp_path, capsys
):
    _as_rank0_of(monkeypatch, 2)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda_count > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: cuda_count)
    joined = []
    monkeypatch.setattr(torch.distributed, "init_process_group", lambda *a, **k: joined.append(1))
    args = ["train", *TINY, f"--out={tmp_path}", *[f"--set={s}" for s in sets]]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err
    assert not joined and not any(tmp_path.iterdir())


def test_bad_batch_under_torchrun_fails_clearly(tmp_path):
    args = ["-m", "ganforge", "train", *TINY, "--set=train.batch_size=33", f"--out={tmp_path}"]
    r = _torchrun(args, tmp_path, timeout=120)
    assert r.returncode != 0
    assert "ganforge: error: train.batch_size=33 (the global batch) does not split" in r.stderr


def test_launch_reads_torchrun_variables():
    env = {"WORLD_SIZE": "8", "RANK": "5", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "4"}
    launch = distributed.launch_from_env(env)
    assert launch == distributed.Launch(8, 5, 1, 4) and not launch.is_main
    assert distributed.launch_from_env({}) == distributed.Launch()
    shard = distributed.shard_of(launch)
    assert torch.equal(shard.take(torch.arange(16)), torch.tensor([10, 11]))
