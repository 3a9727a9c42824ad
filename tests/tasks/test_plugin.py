"""A model family added from outside ganforge: one Task subclass and one ``register_task`` line.

The task below (a two-layer autoencoder of the 2-D toy points, with a config section of its own)
is defined here, in a test file, not in the package. It then trains through ``ganforge train``
with the same run folder, checkpoints and exact resume as the built-in tasks; ``ganforge sample``,
``export``, ``eval`` and ``report`` open it through ``load_run``; and a fresh process finds it with
``ganforge --plugin MODULE``. docs/architecture.md walks through this file.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import Tensor, nn

from ganforge.cli import main
from ganforge.config import Config
from ganforge.data import load_data
from ganforge.data.dataset import ImageData
from ganforge.data.loader import IndexSampler
from ganforge.errors import GanforgeError
from ganforge.evaluation import EvalOptions, evaluate_noise_model
from ganforge.inference import NoiseGenerator
from ganforge.plots import plot_toy
from ganforge.runs import load_run
from ganforge.tasks import TASKS, Phase, PhaseLoss, Task, register_task
from ganforge.train import checkpoint as ckpt

# --------------------------------------------------------------------------- the plug-in


@dataclass
class ToyAEConfig:
    hidden: int = 16
    """Units of the hidden layer of the encoder and of the decoder."""
    latent: int = 2
    """Size of the code."""

    def __post_init__(self) -> None:
        if not (1 <= self.hidden <= 4096 and 1 <= self.latent <= 64):
            raise GanforgeError(f"toy_ae.hidden={self.hidden} / latent={self.latent} out of range")


class Decoder(nn.Module):
    """code -> point; called like every ganforge generator, G(z, y=None), with a ``z_dim``."""

    def __init__(self, latent: int, hidden: int) -> None:
        super().__init__()
        self.z_dim = latent
        self.net = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, 2))

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        return self.net(z)  # (B, latent) -> (B, 2)


@register_task("toy-ae")
class ToyAutoencoder(Task):
    """A two-layer autoencoder of the 2-D toy points (the plug-in example)."""

    section = ("toy_ae", ToyAEConfig)
    ema_targets = ("decoder",)
    log_columns = ("recon",)
    progress_columns = ("recon",)

    @classmethod
    def check_config(cls, cfg: Config) -> None:
        if not cfg.data.is_toy:
            raise GanforgeError("model.task=toy-ae reads 2-D points: use data.source=toy-ring")

    @classmethod
    def load_data(cls, cfg: Config) -> ImageData:
        return load_data(cfg.data, seed=cfg.train.seed)

    def __init__(self, cfg: Config, data: ImageData, device: torch.device, precision: str):
        super().__init__(cfg, data, device, precision)
        s = cfg.toy_ae
        self.encoder = nn.Sequential(
            nn.Linear(2, s.hidden), nn.ReLU(), nn.Linear(s.hidden, s.latent)
        )
        self.decoder = Decoder(s.latent, s.hidden)
        self.encoder.to(device), self.decoder.to(device)
        params = itertools.chain(self.encoder.parameters(), self.decoder.parameters())
        self.opt = torch.optim.Adam(params, lr=cfg.g_optim.lr)
        self.points = data.images.to(device)
        self.sampler = IndexSampler(len(data), cfg.train.batch_size, cfg.train.seed, device)

    @property
    def nets(self) -> dict[str, nn.Module]:
        return {"encoder": self.encoder, "decoder": self.decoder}

    @property
    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"AE": self.opt}

    def phases(self) -> list[Phase]:
        return [Phase("AE", "AE", self.reconstruction)]

    def draw(self) -> Tensor:
        return self.sampler.next()

    def make_batch(self, draw: Tensor, gen: torch.Generator) -> Tensor:
        return self.points[draw]  # (B, 2)

    def reconstruction(self, batch: Tensor, gen: torch.Generator, measure: bool) -> PhaseLoss:
        loss = nn.functional.mse_loss(self.decoder(self.encoder(batch)), batch)
        return PhaseLoss(loss, {"recon": loss.detach()})

    def extra_state(self) -> dict[str, Any]:
        return {"sampler": self.sampler.state_dict()}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        self.sampler.load_state_dict(state["sampler"])

    @torch.no_grad()
    def save_samples(self, path: Path, nets: dict[str, nn.Module], fixed: dict[str, Tensor]):
        recon = nets["decoder"](nets["encoder"](self.points[:500])).cpu()
        plot_toy(path, self.data.images, recon, "toy-ae reconstructions")

    @classmethod
    def open(cls, cfg: Config, state: dict[str, Any], ema=True, device="cpu", **options: Any):
        decoder = Decoder(cfg.toy_ae.latent, cfg.toy_ae.hidden)
        used_ema = ema and "decoder" in state.get("ema", {})
        decoder.load_state_dict(state["ema" if used_ema else "nets"]["decoder"])
        decoder = decoder.to(device).eval().requires_grad_(False)
        return NoiseGenerator(decoder, output_shape=(2,), network="decoder"), used_ema

    @classmethod
    def evaluate(cls, run: Any, options: EvalOptions, say=print) -> dict[str, Any]:
        return evaluate_noise_model(run.model, run.cfg, options, say)


# --------------------------------------------------------------------------- the proof

TINY = [
    "--preset=toy-ring-mlp",
    "--set=model.task=toy-ae",
    "--set=toy_ae.hidden=8",
    "--set=data.toy_samples=512",
    "--set=train.batch_size=64",
    "--set=train.log_every=128",
    "--set=train.sample_every=256",
    "--set=train.checkpoint_every=256",
    "--set=train.report=true",
    "--set=runtime.threads=1",
    "--set=runtime.tensorboard=false",
    "--no-progress",
]


def _train(out: Path, images: int, name: str) -> Path:
    assert (
        main(["train", *TINY, f"--set=train.images={images}", f"--out={out}", f"--name={name}"])
        == 0
    )
    (run,) = [p for p in out.iterdir() if p.name.endswith(name)]
    return run


def _tensors(run: Path) -> dict[str, Tensor]:
    state = ckpt.load(ckpt.list_checkpoints(run / "checkpoints")[-1])
    flat: dict[str, Tensor] = {}
    for group in ("nets", "ema"):
        for net, sd in state[group].items():
            flat.update({f"{group}.{net}.{k}": v for k, v in sd.items()})
    for opt, sd in state["optim"].items():
        for pid, st in sd["state"].items():
            flat.update({f"optim.{opt}.{pid}.{k}": v for k, v in st.items()})
    return flat


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("plugin")
    straight = _train(out, 1024, "straight")
    half = _train(out, 512, "half")
    assert main(["train", "--resume", str(half), "--set=train.images=1024", "--no-progress"]) == 0
    return {"straight": straight, "resumed": half}


def test_the_registry_lists_it():
    assert TASKS["toy-ae"] is ToyAutoencoder and ToyAutoencoder.name == "toy-ae"
    with pytest.raises(ValueError, match="already registered"):
        register_task("gan")(ToyAutoencoder)


def test_it_trains_through_the_cli_with_its_own_config_section(runs):
    run = runs["straight"]
    cfg = (run / "config.yaml").read_text()
    assert "task: toy-ae" in cfg and "toy_ae:\n  hidden: 8\n  latent: 2" in cfg
    header, *rows = (run / "metrics.csv").read_text().splitlines()
    assert header.split(",") == ["images", "g_steps", "recon", "lr_ae", "img_per_s", "wall_s"]
    recon = [float(r.split(",")[2]) for r in rows]
    assert len(recon) == 8 and recon[-1] < recon[0]  # it learns
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "finished" and info["report"] == "report.html"
    assert (run / "samples" / "fakes-000000001024.png").is_file()
    assert [p.name for p in ckpt.list_checkpoints(run / "checkpoints")][-1].endswith(
        "1024.safetensors"
    )


def test_resume_is_bit_identical(runs):
    a, b = _tensors(runs["straight"]), _tensors(runs["resumed"])
    assert a.keys() == b.keys() and any(k.startswith("ema.decoder") for k in a)
    assert all(torch.equal(a[k], b[k]) for k in a), [k for k in a if not torch.equal(a[k], b[k])]
    rows = [(r / "metrics.csv").read_text().splitlines() for r in runs.values()]
    assert [r.split(",")[:4] for r in rows[0]] == [r.split(",")[:4] for r in rows[1]]


def test_sample_export_eval_and_report_through_load_run(runs, tmp_path, capsys):
    run = runs["straight"]
    loaded = load_run(run)
    assert isinstance(loaded.model, NoiseGenerator) and loaded.task is ToyAutoencoder
    assert loaded.used_ema and loaded.images_seen == 1024
    assert main(["sample", str(run), "--n", "300", "--out", str(tmp_path / "p.npz")]) == 0
    points = np.load(tmp_path / "p.npz")["images"]
    assert points.shape == (300, 2) and np.isfinite(points).all()
    assert main(["export", str(run), "--out", str(tmp_path / "d.safetensors")]) == 0
    from ganforge.explore.export import load_generator

    z = torch.randn(5, 2)
    torch.testing.assert_close(load_generator(tmp_path / "d.safetensors")(z), loaded.G(z))
    capsys.readouterr()
    assert main(["eval", str(run), "--n", "500"]) == 0
    assert "modes covered" in capsys.readouterr().out
    assert (run / "eval").is_dir() and main(["report", str(run)]) == 0


def test_a_fresh_process_needs_the_plugin_module(runs, tmp_path):
    here = Path(__file__).parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(here), str(here.parent)])}

    def ganforge(*args: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "ganforge", *args]
        return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)

    missing = ganforge(
        "sample", str(runs["straight"]), "--n", "4", "--out", str(tmp_path / "a.npz")
    )
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1
    assert "'toy_ae'" in missing.stderr and "--plugin MODULE" in missing.stderr
    found = ganforge("--plugin", "test_plugin", "tasks")
    assert (
        found.returncode == 0
        and "toy-ae" in found.stdout
        and "plug-in: test_plugin" in found.stdout
    )
    bad = ganforge("--plugin", "no_such_module", "tasks")
    assert bad.returncode == 2 and "cannot import it" in bad.stderr
