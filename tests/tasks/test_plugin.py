"""A model family added from outside ganforge: its own task, use, data field, sink and command.

Everything below the first rule is a plug-in written against ganforge's public interface, in a
test file, not in the package: an image autoencoder of synthetic blobs (``img-ae``) with

- a config section of its own (``img_ae``);
- a data scheme of its own (``blobs:N``), whose records carry a per-item field (``position``: where
  each blob is), which the task reads;
- an inference object whose one use is ``encode`` (no ``sample``): ganforge's commands find out
  what it can do by asking, and export, eval and report work from what it declares;
- a logger sink of its own (``jsonl``), trimmed and continued on resume;
- a sub-command of its own (``ganforge encode``), which asks a run for the ``encode`` use.

It trains through ``ganforge train``, resumes bit-identically, exports, evaluates and reports, and a
fresh process finds it with ``ganforge --plugin test_plugin``. docs/architecture.md walks through
this file. No ganforge file names it: the proof that a family needs its own files and one
registration line per thing it adds.
"""

from __future__ import annotations

import argparse
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
from ganforge.commands import register_command
from ganforge.config import Config
from ganforge.data import ImageData, load_data, register_scheme
from ganforge.data.loader import IndexSampler, to_model_range
from ganforge.errors import GanforgeError
from ganforge.inference import ExportSpec, InferenceModel
from ganforge.loggers import Sink, register_sink
from ganforge.runs import load_run
from ganforge.tasks import Phase, PhaseLoss, Task, register_task

SIDE = 16
"""Blob images are SIDE x SIDE grey."""

# --------------------------------------------------------------------------- the plug-in: data


def read_blobs(argument: str, cfg: Any, seed: int, options: Any) -> ImageData:
    """``blobs:N``: N grey images of one Gaussian blob each; ``fields["position"]`` (N, 2) is where
    (row, column, in pixels). Deterministic in ``seed``."""
    try:
        n = int(argument)
    except ValueError:
        raise GanforgeError(f"data.source=blobs:{argument}: give a count, e.g. blobs:512") from None
    g = torch.Generator().manual_seed(1000 + seed)
    position = torch.rand(n, 2, generator=g) * (SIDE - 6) + 3  # (N, 2), inside the border
    grid = torch.arange(SIDE, dtype=torch.float32)
    dy = grid.view(1, SIDE, 1) - position[:, 0].view(n, 1, 1)
    dx = grid.view(1, 1, SIDE) - position[:, 1].view(n, 1, 1)
    images = (255 * torch.exp(-(dy**2 + dx**2) / 8)).round().to(torch.uint8)  # (N, H, W)
    return ImageData(
        images.unsqueeze(1),
        None,
        0,
        "blobs",
        report={"origin": "generated", "split": "all"},
        ids=[f"blobs#{i}" for i in range(n)],
        fields={"position": position},
    )


register_scheme("blobs", read_blobs, takes_argument=True, doc="blobs:N, Gaussian blobs")

# --------------------------------------------------------------------------- the plug-in: model


@dataclass
class ImgAEConfig:
    code: int = 4
    """Size of the code."""
    width: int = 8
    """Channels of the convolutions."""

    def __post_init__(self) -> None:
        if not (1 <= self.code <= 256 and 1 <= self.width <= 256):
            raise GanforgeError(f"img_ae.code={self.code} / width={self.width} out of range")


class Encoder(nn.Module):
    """(B, 1, 16, 16) in [-1, 1] -> (B, code)."""

    def __init__(self, code: int, width: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, width, 4, 2, 1),  # (B, w, 8, 8)
            nn.ReLU(),
            nn.Conv2d(width, width, 4, 2, 1),  # (B, w, 4, 4)
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(width * 16, code),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class Decoder(nn.Module):
    """(B, code) -> (B, 1, 16, 16) in [-1, 1]."""

    def __init__(self, code: int, width: int) -> None:
        super().__init__()
        self.width = width
        self.fc = nn.Linear(code, width * 16)
        self.net = nn.Sequential(
            nn.ReLU(),
            nn.ConvTranspose2d(width, width, 4, 2, 1),  # (B, w, 8, 8)
            nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 4, 2, 1),  # (B, 1, 16, 16)
            nn.Tanh(),
        )

    def forward(self, code: Tensor) -> Tensor:
        return self.net(self.fc(code).view(-1, self.width, 4, 4))


def position_r2(codes: Tensor, position: Tensor) -> Tensor:
    """R^2 of the best linear read-out of the blobs' positions from the codes (least squares)."""
    X = torch.cat([codes.float(), torch.ones(len(codes), 1)], dim=1)
    coef = torch.linalg.lstsq(X, position.float()).solution
    residual = ((X @ coef - position) ** 2).sum()
    return 1 - residual / ((position - position.mean(0)) ** 2).sum()


@dataclass
class Encoding(InferenceModel):
    """The trained encoder: its one use is ``encode`` (an image to a code)."""

    encoder: nn.Module
    code: int
    network: str = "encoder"

    @property
    def uses(self) -> dict[str, tuple[str, ...]]:
        return {"encode": ("image",)}

    @property
    def module(self) -> nn.Module:
        return self.encoder

    def describe(self) -> str:
        return "encoder"

    @torch.no_grad()
    def encode(self, images: Tensor) -> Tensor:
        """uint8 (N, 1, 16, 16) -> float (N, code)."""
        return self.encoder(to_model_range(images))

    def export_spec(self) -> ExportSpec:
        enc = self.encoder.cpu().eval()
        probe = [(torch.rand(n, 1, SIDE, SIDE) * 2 - 1,) for n in (1, 3)]
        return ExportSpec(
            module=enc,
            example=(torch.rand(2, 1, SIDE, SIDE) * 2 - 1,),
            input_names=["image"],
            output_name="code",
            dynamic_shapes={"image": {0: torch.export.Dim("batch", min=1)}},
            config={
                "network": self.network,
                "inputs": {"image": {"shape": ["batch", 1, SIDE, SIDE], "range": [-1, 1]}},
                "output": {"name": "code", "shape": ["batch", self.code]},
            },
            net=enc,
            probes=probe,
        )


@register_task("img-ae")
class ImageAutoencoder(Task):
    """An autoencoder of blob images (the plug-in example)."""

    section = ("img_ae", ImgAEConfig)
    ema_targets = ("encoder", "decoder")
    log_columns = ("recon",)
    extra_columns = ("position_r2",)

    @classmethod
    def check_config(cls, cfg: Config) -> None:
        if cfg.data.resolution != SIDE or cfg.data.channels != 1:
            raise GanforgeError(f"model.task=img-ae needs data.resolution={SIDE}, data.channels=1")

    @classmethod
    def load_data(cls, cfg: Config) -> ImageData:
        data = load_data(cfg.data, cfg.train.seed, kinds=("images",), task=cfg.model.task)
        if "position" not in data.fields:
            raise GanforgeError("model.task=img-ae reads blob positions: use data.source=blobs:N")
        return data

    def __init__(self, cfg: Config, data: ImageData, device: torch.device, precision: str):
        super().__init__(cfg, data, device, precision)
        s = cfg.img_ae
        self.encoder, self.decoder = Encoder(s.code, s.width), Decoder(s.code, s.width)
        self.encoder.to(device), self.decoder.to(device)
        params = itertools.chain(self.encoder.parameters(), self.decoder.parameters())
        self.opt = torch.optim.Adam(params, lr=cfg.g_optim.lr)
        self.images = data.images.to(device)
        self.position = data.fields["position"].to(device)  # the scheme's own field
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

    def make_batch(self, draw: Tensor, gen: torch.Generator) -> tuple[Tensor, Tensor]:
        return to_model_range(self.images[draw]), self.position[draw]

    def reconstruction(self, batch, gen: torch.Generator, measure: bool, carry) -> PhaseLoss:
        x, position = batch
        code = self.encoder(x)
        loss = nn.functional.mse_loss(self.decoder(code), x)
        out = {"recon": loss.detach()}
        if measure:  # log steps only: how much of where the blob is the code holds
            out["position_r2"] = position_r2(code.detach(), position)
        return PhaseLoss(loss, out)

    def extra_state(self) -> dict[str, Any]:
        return {"sampler": self.sampler.state_dict()}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        self.sampler.load_state_dict(state["sampler"])

    def fixed_inputs(self, n: int, seed: int) -> dict[str, Tensor]:
        return {"x": to_model_range(self.images[: min(n, 16)])}

    @torch.no_grad()
    def generate(self, nets: dict[str, nn.Module], inputs: dict[str, Tensor]) -> Tensor:
        x = inputs["x"]
        recon = nets["decoder"](nets["encoder"](x))
        return torch.stack([x, recon], dim=1).flatten(0, 1)  # input | reconstruction

    @property
    def grid_nrow(self) -> int:
        return 8

    @classmethod
    def open(cls, cfg: Config, state: dict[str, Any], ema=True, device="cpu", **options: Any):
        if options:
            raise GanforgeError(f"an img-ae run takes no {', '.join(options)} option")
        encoder = Encoder(cfg.img_ae.code, cfg.img_ae.width)
        used_ema = ema and "encoder" in state.get("ema", {})
        encoder.load_state_dict(state["ema" if used_ema else "nets"]["encoder"])
        return Encoding(encoder.to(device).eval().requires_grad_(False), cfg.img_ae.code), used_ema

    def inference(self, nets: dict[str, nn.Module]) -> Encoding:
        return Encoding(nets["encoder"], self.cfg.img_ae.code)

    @classmethod
    def evaluate(cls, run: Any, options: Any, say=print) -> dict[str, Any]:
        """Reconstruction error is the decoder's; what an encode-only run can be scored on is how
        much of the blobs' positions a linear read-out recovers from its codes."""
        model = run.require("encode", command="`ganforge eval`")
        data = cls.load_data(run.cfg)
        n = min(options.n, len(data))
        codes = model.encode(data.images[:n])
        r2 = float(position_r2(codes, data.fields["position"][:n]))
        say(f"scored the codes of {n} blobs")
        protocol = {"data": run.cfg.data.source, "n": n, "metric": "R^2 of a linear read-out"}
        return {"metrics": {"position_r2": r2}, "protocol": protocol, "name": "codes"}


# --------------------------------------------------------------------------- the plug-in: a sink


@register_sink("jsonl")
class JsonlSink(Sink):
    """Every row as a line of RUN/plugin-log.jsonl; a resume drops the lines after its checkpoint."""

    def __init__(self, run_dir: Path, config: dict[str, Any], resume_at: int) -> None:
        self.path = Path(run_dir) / "plugin-log.jsonl"
        lines = self.path.read_text().splitlines() if self.path.exists() else []
        kept = [ln for ln in lines if json.loads(ln).get("images", 0) <= resume_at]
        self.path.write_text("".join(f"{ln}\n" for ln in kept))
        self._write({"images": resume_at, "config_task": config["model"]["task"]})

    def _write(self, record: dict[str, Any]) -> None:
        with open(self.path, "a") as f:
            f.write(json.dumps(record) + "\n")

    def scalars(self, images: int, values: dict[str, float]) -> None:
        self._write({"images": images, **values})

    def image(self, images: int, tag: str, path: Path) -> None:
        self._write({"images": images, tag: path.name})


# --------------------------------------------------------------------------- the plug-in: a command


def register_encode(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("encode", help="encode the first N images of a run's data into codes")
    p.add_argument("run")
    p.add_argument("--n", type=int, default=16)
    p.add_argument("--out", required=True, help="a .npz of codes and item ids")
    p.set_defaults(func=run_encode)


def run_encode(args: argparse.Namespace) -> int:
    run = load_run(args.run)
    model = run.require("encode", command="`ganforge encode`")
    data = load_data(run.cfg.data, run.cfg.train.seed, kinds=("images",))
    codes = model.encode(data.images[: args.n])
    np.savez(args.out, codes=codes.numpy(), ids=np.array(data.item_ids()[: args.n]))
    print(f"wrote {args.out}: {len(codes)} codes of {model.code}")
    return 0


register_command("encode", register_encode, uses=("encode",))

# --------------------------------------------------------------------------- the proof

TINY = [
    "--preset=dcgan-fashion-mnist",
    "--set=model.task=img-ae",
    "--data=blobs:256",
    "--set=data.resolution=16",
    "--set=img_ae.code=3",
    "--set=train.batch_size=32",
    "--set=train.log_every=64",
    "--set=train.sample_every=128",
    "--set=train.checkpoint_every=128",
    "--set=train.eval_every=0",
    "--set=train.report=true",
    "--set=train.loggers=[jsonl]",
    "--set=runtime.threads=1",
    "--no-progress",
]


def _train(out: Path, images: int, name: str) -> Path:
    argv = ["train", *TINY, f"--set=train.images={images}", f"--out={out}", f"--name={name}"]
    assert main(argv) == 0
    (run,) = [p for p in out.iterdir() if p.name.endswith(name)]
    return run


def _tensors(run: Path) -> dict[str, Tensor]:
    from ganforge.train import checkpoint as ckpt

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
    straight = _train(out, 512, "straight")
    half = _train(out, 256, "half")
    assert main(["train", "--resume", str(half), "--set=train.images=512", "--no-progress"]) == 0
    return {"straight": straight, "resumed": half}


def test_what_it_adds_is_registered_and_taken_names_are_refused():
    from ganforge.commands import COMMANDS
    from ganforge.data import SCHEMES
    from ganforge.loggers import SINKS
    from ganforge.tasks import TASKS

    assert TASKS["img-ae"] is ImageAutoencoder and SCHEMES["blobs"].read is read_blobs
    assert SINKS["jsonl"] is JsonlSink and COMMANDS["encode"].uses == ("encode",)
    for register, name in [
        (lambda: register_task("gan")(ImageAutoencoder), "task 'gan'"),
        (lambda: register_scheme("folder", read_blobs), "data scheme 'folder'"),
        (lambda: register_sink("tensorboard")(JsonlSink), "logger sink 'tensorboard'"),
        (lambda: register_command("sample", register_encode), "command 'sample'"),
    ]:
        with pytest.raises(GanforgeError) as e:
            register()
        assert str(e.value).startswith(f"{name} is already registered by ganforge.")
        assert f"; {__name__} cannot register it too" in str(e.value)


def test_it_trains_through_the_cli_with_its_section_field_and_sink(runs):
    run = runs["straight"]
    cfg = (run / "config.yaml").read_text()
    assert "task: img-ae" in cfg and "img_ae:\n  code: 3\n  width: 8" in cfg
    header, *rows = (run / "metrics.csv").read_text().splitlines()
    assert header.split(",") == [
        "images",
        "iterations",
        "recon",
        "lr_ae",
        "img_per_s",
        "wall_s",
        "position_r2",
    ]
    recon = [float(r.split(",")[2]) for r in rows]
    assert len(recon) == 8 and recon[-1] < recon[0]  # it learns
    assert all(r.split(",")[-1] for r in rows)  # the data field's score, every row
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "finished" and info["report"] == "report.html"
    assert (run / "samples" / "fakes-000000000512.png").is_file()
    assert not (run / "tensorboard").exists()  # train.loggers chose the plug-in's sink only
    log = [json.loads(ln) for ln in (run / "plugin-log.jsonl").read_text().splitlines()]
    assert log[0] == {"images": 0, "config_task": "img-ae"}
    assert [r["images"] for r in log if "recon" in r] == [64 * i for i in range(1, 9)]
    assert [r["samples"] for r in log if "samples" in r][-1] == "fakes-000000000512.png"
    # losses.png: no GAN panel was drawn for it (nothing of a GAN in the generic parts)
    assert (run / "losses.png").is_file()


def test_resume_is_bit_identical_and_the_sink_is_trimmed(runs):
    a, b = _tensors(runs["straight"]), _tensors(runs["resumed"])
    assert a.keys() == b.keys() and any(k.startswith("ema.encoder") for k in a)
    assert all(torch.equal(a[k], b[k]) for k in a), [k for k in a if not torch.equal(a[k], b[k])]
    rows = [(r / "metrics.csv").read_text().splitlines() for r in runs.values()]
    assert [r.split(",")[:3] for r in rows[0]] == [r.split(",")[:3] for r in rows[1]]
    log = [json.loads(ln) for ln in (runs["resumed"] / "plugin-log.jsonl").read_text().splitlines()]
    seen = [r["images"] for r in log if "recon" in r]
    assert seen == [64 * i for i in range(1, 9)]  # continued, no row twice


def test_its_own_command_and_the_one_error_for_a_use_it_lacks(runs, tmp_path, capsys):
    run = runs["straight"]
    assert main(["encode", str(run), "--n", "5", "--out", str(tmp_path / "c.npz")]) == 0
    out = np.load(tmp_path / "c.npz")
    assert out["codes"].shape == (5, 3) and list(out["ids"][:2]) == ["blobs#0", "blobs#1"]
    capsys.readouterr()
    assert main(["sample", str(run), "--n", "4", "--out", str(tmp_path / "s.npz")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot sample (draw images from noise)" in err[0]
    assert err[0].endswith("its uses: encode (commands for them: dedup, encode)")


def test_dedup_hashes_its_codes_and_names_its_items(runs, tmp_path):
    """`ganforge dedup` asks a run for the encode use, whatever task made it: the plug-in's codes
    (3 units: a coarse hash) group the blobs of its own data scheme, named by their ids."""
    out = tmp_path / "dups"
    argv = ["dedup", "blobs:64", "--model", str(runs["straight"]), "--out", str(out)]
    assert main([*argv, "--radius", "0", "--no-progress"]) == 0
    doc = json.loads((out / "groups.json").read_text())
    assert doc["source"]["source"] == "blobs:64" and doc["settings"]["code_bits"] == 3
    assert doc["model"]["centred"] is None and doc["model"]["shape"] == [1, SIDE, SIDE]
    members = [m for g in doc["groups"] for m in g["members"]]
    assert members and all(m.startswith("blobs#") for m in members)


def test_export_eval_and_report_from_what_it_declares(runs, tmp_path, capsys):
    run = runs["straight"]
    loaded = load_run(run)
    assert loaded.uses == {"encode": ("image",)} and loaded.task is ImageAutoencoder
    assert loaded.used_ema and loaded.images_seen == 512
    x = torch.rand(4, 1, SIDE, SIDE) * 2 - 1
    for name in ("enc.safetensors", "enc.pt"):
        assert main(["export", str(run), "--out", str(tmp_path / name)]) == 0
        assert "EMA encoder from" in capsys.readouterr().err
    from ganforge.explore.export import load_generator

    torch.testing.assert_close(
        load_generator(tmp_path / "enc.safetensors")(x), loaded.model.encoder(x)
    )
    script = torch.jit.load(str(tmp_path / "enc.pt"))
    torch.testing.assert_close(script(x), loaded.model.encoder(x))
    assert main(["eval", str(run), "--n", "200"]) == 0
    table = capsys.readouterr().out
    assert "position_r2" in table and (run / "eval" / "eval-ckpt-000000000512-codes.json").is_file()
    assert main(["report", str(run)]) == 0
    page = (run / "report.html").read_text()
    assert "its uses: encode" in page and "img-ae" in page


def test_a_fresh_process_needs_the_plugin_module(runs, tmp_path):
    here = Path(__file__).parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(here), str(here.parent)])}

    def ganforge(*args: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "ganforge", *args]
        return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)

    out = tmp_path / "c.npz"
    missing = ganforge("export", str(runs["straight"]), "--out", str(tmp_path / "e.safetensors"))
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1
    assert "'img_ae'" in missing.stderr and "--plugin MODULE" in missing.stderr
    found = ganforge("--plugin", "test_plugin", "encode", str(runs["straight"]), "--out", str(out))
    assert found.returncode == 0, found.stderr
    assert np.load(out)["codes"].shape == (16, 3)
    listed = ganforge("--plugin", "test_plugin", "tasks")
    assert "img-ae" in listed.stdout and "plug-in: test_plugin" in listed.stdout
    bad = ganforge("--plugin", "no_such_module", "tasks")
    assert bad.returncode == 2 and "cannot import it" in bad.stderr
