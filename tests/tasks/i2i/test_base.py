"""tasks/i2i/base.py: what pix2pix, CycleGAN and SRGAN share: exact resume after an interruption
(image pool and lr schedule included), the shared config checks, the data shape check, the paper
defaults, the direction a run opens in, and the sample grid layout."""

import signal

import pytest
import torch

from ganforge.config import load_config
from ganforge.errors import GanforgeError
from ganforge.tasks import check_config, load_task_data, task_class
from ganforge.tasks.i2i.base import interleave
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
            trainer.stops.signal = signal.SIGINT

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


@pytest.mark.parametrize(
    "preset,over,message",
    [
        ("cyclegan-fashion", {"data.resolution": 18}, "divisible by 4"),
        ("pix2pix-edges2fashion", {"train.eval_every": 1000}, "train.eval_every=0"),
        ("srgan-fashion-x4", {"data.resolution": 30}, "multiple of i2i.scale=4"),
        (
            "pix2pix-edges2fashion",
            {"model.task": "pixtopix"},
            "unknown task 'pixtopix' \\(did you mean 'pix2pix'",
        ),
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


def test_interleave_lays_out_each_examples_tiles_in_a_row():
    a, b, c = (torch.full((2, 1, 1, 1), v) for v in (1.0, 2.0, 3.0))
    a[1], b[1], c[1] = 4.0, 5.0, 6.0
    assert interleave(a, b, c).flatten().tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]


def test_auto_settings_mean_each_tasks_paper_choice():
    pix = load_config("pix2pix-edges2fashion")
    cyc = load_config("cyclegan-fashion")
    sr = load_config("srgan-fashion-x4")
    assert [task_class(c).generator_of(c) for c in (pix, cyc, sr)] == ["unet", "resnet", "srresnet"]
    assert [task_class(c).norm_of(c) for c in (pix, cyc)] == ["batch", "instance"]
    chosen = load_config("cyclegan-fashion", {"i2i.norm": "batch", "i2i.generator": "unet"})
    assert (task_class(chosen).norm_of(chosen), task_class(chosen).generator_of(chosen)) == (
        "batch",
        "unet",
    )
    assert [task_class(c).output_scale(c) for c in (pix, cyc, sr)] == [1, 1, 4]


def test_a_run_opens_in_the_directions_it_was_trained_for():
    pix = load_config("pix2pix-edges2fashion", {"model.g_width": 2, "i2i.unet_depth": 3})
    cls = task_class(pix)
    state = {"nets": {"G": cls.build_generator(pix).state_dict()}}
    tr, used_ema = cls.open(pix, state, ema=True)
    assert not used_ema  # no EMA copy kept: the trained weights, said so
    assert (tr.direction, tr.network, tr.multiple, tr.scale, tr.channels) == ("AtoB", "G", 8, 1, 1)
    assert not tr.net.training and not any(p.requires_grad for p in tr.net.parameters())
    with pytest.raises(GanforgeError, match="trained AtoB only; --direction BtoA needs a CycleGAN"):
        cls.open(pix, state, direction="BtoA")
    with pytest.raises(GanforgeError, match="^--direction sideways must be AtoB or BtoA$"):
        cls.open(pix, state, direction="sideways")
    with pytest.raises(
        GanforgeError, match="^--truncation does not apply to a pix2pix run: leave it out$"
    ):
        cls.open(pix, state, truncation=0.5)
    cyc = load_config("cyclegan-fashion", {"i2i.direction": "BtoA"})
    assert task_class(cyc).network_for(cyc, "BtoA") == "G"
    assert task_class(cyc).network_for(cyc, "AtoB") == "F"  # the other generator
