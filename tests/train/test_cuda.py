"""The GPU paths: every preset trains on CUDA in each precision, the compiled step matches the eager
one there, a resumed run continues exactly, and a torchrun launch asking for more processes than
the node has GPUs fails with one line. Skipped where no CUDA device is present (CI); run on a GPU
machine with ``python -m pytest tests/train/test_cuda.py``."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

from ganforge.config import load_config, preset_names
from ganforge.runtime import compiled
from ganforge.train.trainer import Trainer
from helpers import random_images, tiny_overrides
from test_presets import _preset_data

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

CUDA = {"runtime.device": "cuda"}


@pytest.mark.parametrize("precision", ["fp32", "bf16", "fp16"])
@pytest.mark.parametrize("name", preset_names())
def test_every_preset_trains_on_cuda(name, precision, tmp_path):
    base = load_config(name)
    extra, data = _preset_data(name, tmp_path)  # the CPU test's data and overrides
    over = tiny_overrides(tmp_path, **extra, **CUDA, **{"runtime.precision": precision})
    over["train.images"] = 2 * over["train.batch_size"] * base.train.n_critic
    over["train.log_every"] = over["train.batch_size"]
    if base.model.arch in ("mlp", "toy"):
        over.pop("model.g_width"), over.pop("model.d_width")
    t = Trainer(load_config(name, over), data=data).fit()
    assert t.device.type == "cuda" and t.precision == precision
    rows = (t.run_dir / "metrics.csv").read_text().splitlines()[1:]
    assert rows and not any(bad in r for r in rows for bad in ("nan", "inf")), rows


def test_compiled_step_matches_eager_on_cuda(tmp_path):
    if compiled.compile_problem("cuda") is not None:
        pytest.skip(compiled.compile_problem("cuda"))
    weights = []
    for on in (False, True):
        ov = tiny_overrides(
            tmp_path / str(on),
            **CUDA,
            **{"runtime.compile": on, "runtime.precision": "fp32", "train.images": 128},
        )
        torch.backends.cudnn.deterministic = True
        t = Trainer(load_config("wgangp-fashion-mnist", ov), data=random_images()).fit()
        assert not [n for n in t.notes if "compile" in n], t.notes  # it really compiled
        weights.append({k: v.float().cpu() for k, v in t.task.G.state_dict().items()})
    for k in weights[0]:
        torch.testing.assert_close(weights[1][k], weights[0][k], rtol=1e-3, atol=1e-4)


def test_resume_continues_exactly_on_cuda(tmp_path):
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    n = 256
    ov = tiny_overrides(
        tmp_path, **CUDA, **{"runtime.precision": "fp32", "train.images": n, "train.log_every": 64}
    )
    ov["train.checkpoint_every"] = n // 2
    data = random_images()
    straight = Trainer(load_config("dcgan-fashion-mnist", ov), data=data).fit()
    half = Trainer(load_config("dcgan-fashion-mnist", {**ov, "train.images": n // 2}), data=data)
    half.fit()
    resumed = Trainer.resume(half.run_dir, [f"train.images={n}"], data=data).fit()
    for k, v in straight.task.G.state_dict().items():
        torch.testing.assert_close(resumed.task.G.state_dict()[k], v, rtol=1e-5, atol=1e-6)


def test_more_processes_than_gpus_is_one_line(tmp_path):
    procs = torch.cuda.device_count() + 1
    cmd = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={procs}"]
    cmd += ["--standalone", "-m", "ganforge", "train", "--set", f"out_dir={tmp_path}"]
    cmd += ["--set", "runtime.device=cuda"]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode != 0
    assert f"use --nproc_per_node={procs - 1}" in done.stderr, done.stderr[-2000:]
    assert not any(tmp_path.iterdir())  # no run folder


# --------------------------------------------------------------------------- CUDA graphs


def _graph_vs_eager(tmp_path, preset, extra, iterations=10):
    """The same run eagerly and as CUDA-graph replays (3 warm-up iterations, the capture, then
    replays): the eager iteration is the reference twin."""
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    base = load_config(preset)
    B = 32
    runs = []
    for graphs in (False, True):
        ov = tiny_overrides(
            tmp_path / str(graphs),
            **CUDA,
            **{"runtime.cuda_graphs": graphs, "runtime.precision": "fp32", **extra},
        )
        if base.model.arch in ("mlp", "toy"):
            ov.pop("model.g_width"), ov.pop("model.d_width")
        ov["train.batch_size"] = B
        ov["train.images"] = iterations * B * base.train.n_critic
        ov["train.log_every"] = B * base.train.n_critic
        data = random_images(256, base.data.channels, base.data.resolution)
        t = Trainer(load_config(preset, ov), data=None if base.data.is_toy else data).fit()
        assert not [n for n in t.notes if "cuda_graphs" in n], t.notes
        runs.append(t)
    eager, graphed = runs
    assert graphed._graphs is not None and graphed._graphs._graph is not None  # it replayed
    for k, v in eager.task.G.state_dict().items():
        torch.testing.assert_close(graphed.task.G.state_dict()[k], v, rtol=1e-4, atol=1e-5)
    for k, v in eager.ema["G"].model.state_dict().items():
        torch.testing.assert_close(graphed.ema["G"].model.state_dict()[k], v, rtol=1e-4, atol=1e-5)
    assert graphed.task.d_steps == eager.task.d_steps
    assert torch.equal(graphed.gen.get_state(), eager.gen.get_state())
    rows = [(t.run_dir / "metrics.csv").read_text().splitlines() for t in runs]
    assert len(rows[0]) == len(rows[1])
    return runs


@pytest.mark.parametrize(
    "preset,extra",
    [
        ("dcgan-fashion-mnist", {}),  # batch norm, non-saturating loss, fake reused by G
        ("wgangp-fashion-mnist", {}),  # gradient penalty (double backward) inside the graph
        ("wgan-fashion-mnist", {}),  # RMSprop and weight clipping
        ("sngan-cifar10", {"model.g_width": 16, "model.d_width": 16}),  # spectral norm, lr decay
        ("toy-ring-mlp", {"data.toy_samples": 512}),  # R1 every step, MLPs
    ],
)
def test_cuda_graph_replays_match_eager_iterations(tmp_path, preset, extra):
    _graph_vs_eager(tmp_path, preset, extra)


def test_cuda_graph_run_resumes_exactly(tmp_path):
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    n = 32 * 12
    ov = tiny_overrides(
        tmp_path,
        **CUDA,
        **{"runtime.cuda_graphs": True, "runtime.precision": "fp32", "train.images": n},
    )
    ov.update({"train.log_every": 64, "train.checkpoint_every": n // 2})
    data = random_images()
    straight = Trainer(load_config("dcgan-fashion-mnist", ov), data=data).fit()
    half = Trainer(load_config("dcgan-fashion-mnist", {**ov, "train.images": n // 2}), data=data)
    half.fit()
    resumed = Trainer.resume(half.run_dir, [f"train.images={n}"], data=data).fit()
    for k, v in straight.task.G.state_dict().items():
        torch.testing.assert_close(resumed.task.G.state_dict()[k], v, rtol=1e-4, atol=1e-5)
