"""pix2pix, CycleGAN and SRGAN on the Trainer: a few steps, sample grids, the SRGAN phases, the
VGG content loss, and exact resume after an interruption (image pool and lr schedule included)."""

import hashlib
import signal

import pytest
import torch
from PIL import Image

from ganforge.config import load_config
from ganforge.errors import GanforgeError
from ganforge.models import vgg19 as V
from ganforge.tasks import check_config, load_task_data, task_class
from ganforge.train.trainer import Trainer
from helpers import wrap_phase

TINY = {
    "data.split": "test",  # the embedded Fashion-MNIST split: always offline
    "data.resolution": 16,
    "model.g_width": 4,
    "model.d_width": 4,
    "train.batch_size": 8,
    "train.images": 32,
    "train.log_every": 8,
    "train.sample_every": 32,
    "train.checkpoint_every": 16,
    "train.grid_size": 4,
    "runtime.progress": False,
    "runtime.tensorboard": False,
}
PIX2PIX = {**TINY, "data.max_images": 200, "i2i.load_size": 20, "i2i.unet_depth": 4}
CYCLEGAN = {**TINY, "data.max_images": 600, "i2i.g_blocks": 1, "i2i.pool_size": 6}

# metrics.csv of the adversarial tasks, unchanged since the first release (resumed runs append
# rows under the header they started with).
COLUMNS = [
    "images",
    "g_steps",
    "d_loss",
    "g_loss",
    "d_real",
    "d_fake",
    "gp",
    "r1",
    "d_grad_norm",
    "g_grad_norm",
    "lr_g",
    "lr_d",
    "img_per_s",
    "wall_s",
]


def _run(preset, over, tmp_path, data=None):
    cfg = load_config(preset, {**over, "out_dir": str(tmp_path / "runs")})
    data = data if data is not None else load_task_data(cfg)
    return Trainer(cfg, data=data), data


def _same_state(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        torch.equal(a[k], b[k]) if isinstance(a[k], torch.Tensor) else _same(a[k], b[k]) for k in a
    )


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return _same_state(a, b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return torch.equal(a, b) if isinstance(a, torch.Tensor) else a == b


@pytest.mark.parametrize(
    "preset,over", [("pix2pix-edges2fashion", PIX2PIX), ("cyclegan-fashion", CYCLEGAN)]
)
def test_interrupted_run_resumes_exactly(preset, over, tmp_path):
    straight, data = _run(preset, over, tmp_path)
    straight.fit()
    halted, _ = _run(preset, over, tmp_path, data)

    def ctrl_c(trainer):  # Ctrl-C arriving mid-run, after image 16
        if trainer.images_seen >= 16:
            trainer._stop_signal = signal.SIGINT

    wrap_phase(halted, "G", ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        halted.fit()
    resumed = Trainer.resume(halted.run_dir, data=data).fit()
    assert resumed.images_seen == straight.images_seen == 32
    for name in straight.task.nets:
        assert _same_state(
            straight.task.nets[name].state_dict(), resumed.task.nets[name].state_dict()
        )
    for name in straight.task.optimizers:
        a, b = straight.task.optimizers[name], resumed.task.optimizers[name]
        assert _same(a.state_dict()["state"], b.state_dict()["state"])
        assert a.param_groups[0]["lr"] == b.param_groups[0]["lr"]
    assert _same(straight.task.extra_state(), resumed.task.extra_state())  # pools, samplers
    rows_a = (straight.run_dir / "metrics.csv").read_text().splitlines()
    rows_b = (resumed.run_dir / "metrics.csv").read_text().splitlines()
    keep = [i for i, c in enumerate(rows_a[0].split(",")) if c not in ("img_per_s", "wall_s")]
    assert [[r.split(",")[i] for i in keep] for r in rows_a] == [
        [r.split(",")[i] for i in keep] for r in rows_b
    ]


def test_cyclegan_logs_its_losses_and_draws_four_columns_of_reconstructions(tmp_path):
    t, _ = _run("cyclegan-fashion", CYCLEGAN, tmp_path)
    t.fit()
    header, *rows = (t.run_dir / "metrics.csv").read_text().splitlines()
    names = header.split(",")
    assert names[: len(COLUMNS)] == COLUMNS and {"cycle", "identity", "cycle_error"} <= set(names)
    last = dict(zip(names, rows[-1].split(",")))
    assert 0 < float(last["cycle_error"]) < 1 and float(last["d_loss"]) > 0
    # 4 examples, each a | G(a) | F(G(a)) | b | F(b) | G(F(b)): 4 rows of 6 tiles of 16 px
    grid = Image.open(sorted((t.run_dir / "samples").glob("fakes-*.png"))[-1])
    assert grid.size == (6 * 18 + 2, 4 * 18 + 2)
    assert set(t.task.nets) == {"G", "F", "D_Y", "D_X"}


def test_pix2pix_grid_and_fidelity_columns(tmp_path):
    t, _ = _run("pix2pix-edges2fashion", PIX2PIX, tmp_path)
    t.fit()
    header, *rows = (t.run_dir / "metrics.csv").read_text().splitlines()
    last = dict(zip(header.split(","), rows[-1].split(",")))
    assert float(last["psnr"]) > 0 and -1 <= float(last["ssim"]) <= 1 and float(last["l1"]) > 0
    grid = Image.open(sorted((t.run_dir / "samples").glob("fakes-*.png"))[-1])
    assert grid.size == (6 * 18 + 2, 2 * 18 + 2)  # 2 examples of input | output | target a row


def test_srgan_pretrains_then_trains_adversarially_with_vgg_features(tmp_path, monkeypatch):
    from ganforge.data.download import cache_dir

    # A locally built torchvision-format file stands in for the ImageNet weights.
    path = cache_dir() / "weights" / V.WEIGHTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    net = V.VGG19Features("2_2")
    torch.save({f"features.{k}": v for k, v in net.features.state_dict().items()}, path)
    monkeypatch.setattr(V, "WEIGHTS_SHA256", hashlib.sha256(path.read_bytes()).hexdigest())
    over = {
        **TINY,
        "data.max_images": 200,
        "i2i.g_blocks": 1,
        "i2i.content_loss": "vgg",
        "i2i.vgg_layer": "2_2",
        "i2i.pretrain_images": 32,
        "train.images": 64,
        "data.download": False,
    }
    t, _ = _run("srgan-fashion-x4", over, tmp_path)
    t.fit()
    header, *rows = (t.run_dir / "metrics.csv").read_text().splitlines()
    cols = [dict(zip(header.split(","), r.split(","))) for r in rows]
    assert [bool(c["d_loss"]) for c in cols] == [False] * 4 + [True] * 4  # MSE phase, then GAN
    assert all(float(c["content"]) > 0 for c in cols) and cols[-1]["g_adv"]
    assert t.task.images_seen == 64


@pytest.mark.parametrize(
    "preset,over,message",
    [
        ("cyclegan-fashion", {"data.resolution": 18}, "divisible by 4"),
        ("pix2pix-edges2fashion", {"train.eval_every": 1000}, "train.eval_every=0"),
        ("srgan-fashion-x4", {"data.resolution": 30}, "multiple of i2i.scale=4"),
        ("pix2pix-edges2fashion", {"model.task": "pixtopix"}, "'pixtopix' is not one of.*pix2pix"),
        ("srgan-fashion-x4", {"i2i.generator": "unet"}, "trains i2i.generator=srresnet"),
        ("cyclegan-fashion", {"i2i.generator": "srresnet"}, "it is for model.task=srgan"),
        ("pix2pix-edges2fashion", {"loss.r1_gamma": 1}, "does not use loss.gp_weight"),
    ],
)
def test_task_config_errors(preset, over, message, tmp_path):
    cfg = load_config(preset, over)  # each value on its own is fine: the task refuses the mix
    with pytest.raises(GanforgeError, match=message):
        check_config(cfg)
    with pytest.raises(GanforgeError, match=message):  # before any data or folder
        Trainer(load_config(preset, {**over, "out_dir": str(tmp_path)}))
    assert not any(tmp_path.iterdir())


def test_data_with_the_wrong_channel_count_is_refused(tmp_path):
    cfg = load_config("pix2pix-edges2fashion", {**PIX2PIX, "out_dir": str(tmp_path)})
    data = load_task_data(cfg)
    rgb = type(data)(
        data.images.expand(-1, 3, -1, -1),
        None,
        0,
        data.name,
        report=data.report,
        sources=data.sources.expand(-1, 3, -1, -1),
        paired=True,
    )
    with pytest.raises(GanforgeError, match=r"shape \(3, 20, 20\).*data.channels=1"):
        Trainer(cfg, data=rgb)


def test_paper_defaults_apply_unless_set():
    def weight(preset, **over):
        cfg = load_config(preset, over)
        return task_class(cfg).paper_adv_weight(cfg)

    def gan_loss_of(cfg):
        return task_class(cfg).paper_loss(cfg)

    # the presets leave adv_weight to the task: -1 means "the paper's value"
    assert weight("pix2pix-edges2fashion") == 1.0
    assert weight("srgan-fashion-x4") == 1e-3  # Ledig et al. eq. 3
    assert weight("srgan-fashion-x4", **{"loss.name": "lsgan"}) == 1e-3
    assert weight("cyclegan-fashion") == 2.0  # lsgan: Zhu et al.'s (D - 1)^2 without the 1/2
    assert weight("cyclegan-fashion", **{"loss.name": "nonsaturating"}) == 1.0
    assert weight("pix2pix-edges2fashion", **{"i2i.adv_weight": 0}) == 0.0  # L1-only ablation
    assert weight("srgan-fashion-x4", **{"i2i.adv_weight": 0.01}) == 0.01
    assert gan_loss_of(load_config("cyclegan-fashion")) == "lsgan"
    with pytest.raises(GanforgeError, match="adv_weight=-2.0 must be >= 0"):
        load_config("srgan-fashion-x4", {"i2i.adv_weight": -2})
