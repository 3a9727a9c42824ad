"""The R3GAN task: its fused D objective against the plain twin, the burn-in schedules reaching the
optimizers and the EMA, sizes and RGBA end to end, the config refusals, and exact resume with
adaptive augmentation."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.cli import main
from ganforge.config import load_config
from ganforge.data.dataset import ImageData
from ganforge.errors import GanforgeError
from ganforge.models.r3gan import R3Discriminator
from ganforge.tasks import check_config
from ganforge.tasks.r3gan import d_objective, reference_d_objective
from ganforge.train import checkpoint as ckpt
from ganforge.train.trainer import Trainer
from helpers import one_iteration, random_images, tiny_overrides

TINY = {
    "model.g_width": 8,
    "model.d_width": 8,
    "model.z_dim": 16,
    "r3gan.max_width": 16,
    "r3gan.group_width": 8,
    "runtime.precision": "fp32",
    "runtime.threads": 1,
}


def _trainer(tmp_path, data=None, **over) -> Trainer:
    cfg = load_config("r3gan-fashion-mnist", tiny_overrides(tmp_path, **{**TINY, **over}))
    return Trainer(cfg, data=data if data is not None else random_images(256, 1, 28))


@pytest.mark.parametrize("num_classes", [0, 10])
def test_the_fused_d_objective_equals_its_plain_twin(num_classes):
    torch.manual_seed(0)
    D = R3Discriminator(1, 28, 28, [16, 16, 8], group_width=8, num_classes=num_classes)
    for p in D.parameters():  # away from the zero init, so every term is non-trivial
        torch.nn.init.normal_(p, std=0.05)
    real, fake = torch.randn(6, 1, 28, 28), torch.randn(6, 1, 28, 28)
    y = torch.randint(0, 10, (6,)) if num_classes else None
    loss, _, _, r1, r2 = d_objective(D, real, fake, y, gamma=0.3)
    ref, r1_ref, r2_ref = reference_d_objective(D, real, fake, y, gamma=0.3)
    torch.testing.assert_close(loss, ref, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(r1, r1_ref, rtol=1e-5, atol=1e-8)
    torch.testing.assert_close(r2, r2_ref, rtol=1e-5, atol=1e-8)
    assert r1 > 0 and r2 > 0
    # and so are D's weight gradients (the double backward)
    grads = torch.autograd.grad(loss, list(D.parameters()))
    grads_ref = torch.autograd.grad(ref, list(D.parameters()))
    for a, b in zip(grads, grads_ref):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)


def test_schedules_reach_the_optimizers_and_the_ema(tmp_path):
    over = {"r3gan.burnin_images": 1000, "r3gan.lr": [4e-4, 1e-4], "r3gan.beta2": [0.5, 0.9]}
    t = _trainer(tmp_path, **over, **{"train.images": 64, "train.batch_size": 32})
    hp = t.task.hyperparameters(500)  # half way: the mean of start and end
    assert hp["lr"]["G"] == pytest.approx(2.5e-4) and hp["betas"]["D"] == (0.0, pytest.approx(0.7))
    start, end = t.cfg.r3gan.gamma
    assert t.task._now["gamma"] == pytest.approx((start + end) / 2)
    assert t.task.hyperparameters(5000)["lr"]["D"] == pytest.approx(1e-4)  # after: the end
    t.fit()
    group = t.task.opt_g.param_groups[0]
    s = 0.5 * (1 + np.cos(np.pi * 64 / 1000))  # set after each iteration, for the next: image 64
    assert group["lr"] == pytest.approx(1e-4 + 3e-4 * s)
    assert group["betas"][1] == pytest.approx(0.9 - 0.4 * s)
    rows = (t.run_dir / "metrics.csv").read_text().splitlines()
    header = rows[0].split(",")
    assert {"r1", "r2", "gamma", "lr_g"} <= set(header)
    last = dict(zip(header, rows[-1].split(",")))
    assert float(last["r1"]) > 0 and float(last["r2"]) > 0


def test_lazy_regularisation_skips_steps_and_weighs_the_rest(tmp_path):
    t = _trainer(tmp_path, **{"r3gan.reg_every": 2, "train.batch_size": 32})
    first = one_iteration(t)
    second = one_iteration(t)
    assert "r1" in first and "r1" not in second


@pytest.mark.parametrize("size,channels", [((32, 48), 4), ((28, 28), 3), ((48, 32), 1)])
def test_sizes_and_channels_train_and_sample(size, channels, tmp_path):
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (128, channels, *size), generator=g, dtype=torch.uint8)
    data = ImageData(images, None, 0, "random", report={"source": "random"})
    over = {"data.resolution": list(size), "data.channels": channels, "train.images": 64}
    t = _trainer(tmp_path, data=data, **over, **{"train.batch_size": 32})
    t.fit()
    grid = np.asarray(Image.open(t.run_dir / "samples" / "fakes-000000000064.png"))
    assert grid.shape[-1] == (channels if channels > 1 else grid.shape[-1])
    x = t.task.G(torch.randn(2, t.task.G.z_dim))
    assert tuple(x.shape) == (2, channels, *size)


@pytest.mark.parametrize(
    "over,message",
    [
        ({"model.conditional": "concat"}, "conditions by projection"),
        ({"loss.name": "hinge"}, "relativistic pairing loss"),
        ({"loss.gp_weight": 10}, "regularises with r3gan.gamma"),
        ({"runtime.compile": True}, "runtime.compile=false"),
        ({"data.resolution": 36}, "data.resolution=36"),
        ({"data.source": "toy-ring"}, "cannot be a toy"),
    ],
)
def test_config_refusals_are_one_line(over, message):
    cfg = load_config("r3gan-fashion-mnist", over)
    with pytest.raises(GanforgeError, match=message) as e:
        check_config(cfg)
    assert "\n" not in str(e.value)


def test_other_tasks_refuse_rgba_and_other_aspects():
    for preset in ("dcgan-fashion-mnist", "pix2pix-edges2fashion"):
        for over in ({"data.channels": 4}, {"data.resolution": [32, 64]}):
            with pytest.raises(GanforgeError, match="square grey or RGB"):
                check_config(load_config(preset, over))


def test_resume_with_adaptive_augmentation_is_exact(tmp_path):
    """ADA's p and its unfinished interval live in the checkpoint: a resumed run continues with
    the same p and reaches the same weights (StyleGAN2-ADA resets it: its issue #81)."""
    over = {
        "augment.policy": "ada",
        "augment.ada_p": 0.5,
        "augment.ada_kimg": 0.5,  # p moves by 0.064 per batch: it differs from its start
        "augment.ada_interval": 1,
        "train.batch_size": 32,
        "train.checkpoint_every": 64,
    }
    straight = _trainer(tmp_path / "a", **over, **{"train.images": 128}).fit()
    half = _trainer(tmp_path / "b", **over, **{"train.images": 64}).fit()
    p_half = half.task.augment.p
    resumed = Trainer.resume(half.run_dir, ["train.images=128"], data=random_images(256, 1, 28))
    assert resumed.task.augment.p == p_half
    resumed.fit()
    assert straight.task.augment.p == resumed.task.augment.p != 0.5
    for k, v in straight.task.G.state_dict().items():
        assert torch.equal(v, resumed.task.G.state_dict()[k]), k
    state = ckpt.load(ckpt.list_checkpoints(resumed.run_dir / "checkpoints")[-1])
    assert state["task"]["augment"]["p"] == resumed.task.augment.p


def test_a_folder_of_rgba_sprites_trains_with_transparency(tmp_path, capsys, monkeypatch):
    """`ganforge train --data folder:PATH` with no preset: the recipe sees the transparency, trains
    R3GAN in RGBA (its choice where no race is measured), and the samples carry a real alpha
    channel."""
    from ganforge.data import recipe

    monkeypatch.setattr(recipe, "EVIDENCE", tmp_path / "none.json")
    folder = tmp_path / "sprites"
    folder.mkdir()
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:32, :32]
    for i in range(40):
        r = rng.integers(6, 14)
        cx, cy = rng.integers(10, 22, size=2)
        sprite = np.zeros((32, 32, 4), np.uint8)
        inside = (xx - cx) ** 2 + (yy - cy) ** 2 < r * r
        sprite[inside] = [*rng.integers(0, 256, size=3), 255]
        Image.fromarray(sprite, "RGBA").save(folder / f"s{i:02d}.png")
    args = [
        "train",
        f"--data=folder:{folder}",
        f"--out={tmp_path / 'runs'}",
        *[f"--set={k}={v}" for k, v in TINY.items()],
        "--set=train.images=64",
        "--set=train.batch_size=16",
        "--set=train.sample_every=64",
        "--set=train.report=false",
        "--no-progress",
    ]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "recipe: r3gan-folder-64 at 32 px RGBA with DiffAugment" in err
    (run,) = (tmp_path / "runs").iterdir()
    cfg = load_config(str(run / "config.yaml"))
    assert (
        cfg.model.task == "r3gan"
        and cfg.data.channels == 4
        and cfg.description.startswith("recipe")
    )
    reals = np.asarray(Image.open(run / "samples" / "reals.png"))
    fakes = np.asarray(Image.open(run / "samples" / "fakes-000000000064.png"))
    assert reals.shape[-1] == fakes.shape[-1] == 4
    alpha = fakes[..., 3]
    assert alpha.std() > 10 and alpha.min() < 64 and alpha.max() > 192  # not all opaque or clear
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "finished"


def test_r3gan_trains_against_the_projected_discriminator(tmp_path):
    """The projected D is a D choice of every noise-to-image family: R3GAN's fused objective
    (one D call on reals and fakes, R1 and R2 through the frozen network) takes it as it is."""
    from ganforge.models.projected import ProjectedDiscriminator

    over = {"model.discriminator": "projected", "projected.ccm_channels": 4, "train.batch_size": 8}
    over.update({"data.resolution": 32, "projected.num_scales": 3})
    t = _trainer(tmp_path, data=random_images(64, 1, 32), **over)
    assert isinstance(t.task.D, ProjectedDiscriminator)
    out = one_iteration(t)
    assert float(out["r1"]) > 0 and float(out["r2"]) > 0 and torch.isfinite(out["d_loss"])
