"""The training loop: run folder, exact resume, NaN handling, mismatched checkpoints."""

import json

import pytest
import torch

from ganforge.config import load_config
from ganforge.errors import GanforgeError
from ganforge.report.html import report_on_finish
from ganforge.train import checkpoint as ckpt
from ganforge.train import process as process_module
from ganforge.train import trainer as trainer_module
from ganforge.train.trainer import Trainer
from helpers import one_iteration, tiny_overrides, toy_trainer, wrap_phase

# metrics.csv of the adversarial tasks, as since the first release but for "iterations", called
# g_steps before the core became family-neutral (a resumed run's old header is renamed).
COLUMNS = [
    "images",
    "iterations",
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


def _states_equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize(
    "preset,per_iter", [("dcgan-fashion-mnist", 32), ("wgangp-fashion-mnist", 160)]
)
def test_resume_is_exact(tmp_path, tiny_data, preset, per_iter):
    n = 16 * per_iter if per_iter == 32 else 4 * per_iter
    ov = tiny_overrides(
        tmp_path,
        **{
            "train.images": n,
            "train.checkpoint_every": n // 2,
            "train.log_every": per_iter,
            "train.sample_every": n // 2,
        },
    )
    straight = Trainer(load_config(preset, ov), data=tiny_data).fit()
    half = Trainer(load_config(preset, {**ov, "train.images": n // 2}), data=tiny_data).fit()
    resumed = Trainer.resume(half.run_dir, [f"train.images={n}"], data=tiny_data).fit()
    assert resumed.images_seen == straight.images_seen == n
    for name in ("G", "D"):
        assert _states_equal(
            straight.task.nets[name].state_dict(), resumed.task.nets[name].state_dict()
        )
    assert _states_equal(straight.ema["G"].model.state_dict(), resumed.ema["G"].model.state_dict())
    opt_a = straight.task.opt_d.state_dict()["state"]
    opt_b = resumed.task.opt_d.state_dict()["state"]
    assert all(_states_equal(opt_a[k], opt_b[k]) for k in opt_a)
    # Identical losses, row for row (log boundaries align with the checkpoint).
    rows_a = (straight.run_dir / "metrics.csv").read_text().splitlines()
    rows_b = (resumed.run_dir / "metrics.csv").read_text().splitlines()
    cut = COLUMNS.index("lr_d") + 1  # img/s and wall time differ, of course
    assert [r.split(",")[:cut] for r in rows_a] == [r.split(",")[:cut] for r in rows_b]


def test_run_folder_has_everything(tmp_path, tiny_data):
    ov = tiny_overrides(tmp_path, **{"train.report": True})
    t = Trainer(load_config("cgan-fashion-mnist", ov), data=tiny_data)
    t.fit(report_on_finish())  # what `ganforge train` and ganforge.train() pass
    d = t.run_dir
    for f in ("config.yaml", "metrics.csv", "losses.png", "data_report.json", "run.json"):
        assert (d / f).is_file(), f
    page = (d / "report.html").read_text()
    assert (
        "<img" in page and "data:image/png;base64," in page and "http" not in page.split("<body")[1]
    )
    assert (d / "samples" / "reals.png").is_file()
    assert len(list((d / "samples").glob("fakes-*.png"))) == 2
    assert len(ckpt.list_checkpoints(d / "checkpoints")) == 2
    info = json.loads((d / "run.json").read_text())
    assert info["status"] == "finished" and info["images_seen"] == 512
    assert info["report"] == "report.html"
    header, *rows = (d / "metrics.csv").read_text().splitlines()
    assert header.split(",") == COLUMNS and len(rows) == 4
    first = dict(zip(COLUMNS, rows[0].split(",")))
    assert float(first["d_grad_norm"]) > 0 and float(first["img_per_s"]) > 0
    assert 0 < float(first["d_real"]) < 1  # a probability for the BCE game


def test_keep_last_k_checkpoints(tmp_path, tiny_data):
    ov = tiny_overrides(tmp_path, **{"train.checkpoint_every": 64, "train.keep_checkpoints": 3})
    t = Trainer(load_config("dcgan-fashion-mnist", ov), data=tiny_data).fit()
    names = [p.name for p in ckpt.list_checkpoints(t.run_dir / "checkpoints")]
    assert names == [ckpt.checkpoint_name(n) for n in (384, 448, 512)]


def test_nan_stops_the_run_and_keeps_last_good_checkpoint(tmp_path, tiny_data):
    t = Trainer(load_config("dcgan-fashion-mnist", tiny_overrides(tmp_path)), data=tiny_data)
    real_loss = t.task.d_loss_fn
    calls = {"n": 0}

    def poisoned(real, fake, target):
        calls["n"] += 1
        loss = real_loss(real, fake, target)
        return loss * float("nan") if calls["n"] > 9 else loss  # after the 256-image checkpoint

    t.task.d_loss_fn = poisoned
    with pytest.raises(GanforgeError, match=r"d_loss.*NaN/inf.*last good checkpoint.*000000000256"):
        t.fit()
    names = [p.name for p in ckpt.list_checkpoints(t.run_dir / "checkpoints")]
    assert names == [ckpt.checkpoint_name(256)]
    assert json.loads((t.run_dir / "run.json").read_text())["status"] == "failed"


def test_resume_with_another_model_fails_clearly(tmp_path, tiny_data):
    ov = tiny_overrides(tmp_path, **{"train.images": 256})
    t = Trainer(load_config("dcgan-fashion-mnist", ov), data=tiny_data).fit()
    with pytest.raises(GanforgeError, match="does not match"):
        Trainer.resume(t.run_dir, ["model.g_width=16"], data=tiny_data)


def test_resume_errors(tmp_path, tiny_data):
    with pytest.raises(GanforgeError, match="not a ganforge run folder"):
        Trainer.resume(tmp_path)
    ov = tiny_overrides(tmp_path, **{"train.images": 256})
    t = Trainer(load_config("dcgan-fashion-mnist", ov), data=tiny_data).fit()
    for p in ckpt.list_checkpoints(t.run_dir / "checkpoints"):
        p.unlink()
    with pytest.raises(GanforgeError, match="no checkpoint"):
        Trainer.resume(t.run_dir, data=tiny_data)


def test_g_phase_computes_no_discriminator_gradients(tmp_path, tiny_data):
    t = Trainer(load_config("dcgan-fashion-mnist", tiny_overrides(tmp_path)), data=tiny_data)
    d_phase, g_phase = t.phases
    batch = t.task.make_batch(t.task.draw(), t.gen)
    t._step(d_phase, batch, measure=False)
    t.task.opt_d.zero_grad(set_to_none=True)
    t._step(g_phase, batch, measure=False)
    assert all(p.grad is None for p in t.task.D.parameters())
    assert all(p.requires_grad for p in t.task.D.parameters())  # unfrozen afterwards
    assert any(p.grad is not None for p in t.task.G.parameters())


def test_batch_larger_than_data_fails(tmp_path, tiny_data):
    with pytest.raises(GanforgeError, match="larger than the data set"):
        Trainer(
            load_config(
                "dcgan-fashion-mnist", tiny_overrides(tmp_path, **{"train.batch_size": 1000})
            ),
            data=tiny_data,
        )


def test_a_crash_mid_run_marks_the_run_failed(tmp_path, tiny_data):
    t = Trainer(load_config("dcgan-fashion-mnist", tiny_overrides(tmp_path)), data=tiny_data)
    calls = {"n": 0}

    def broken(trainer):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("out of memory\nmore detail")

    wrap_phase(t, "G", broken)
    with pytest.raises(RuntimeError, match="out of memory"):
        t.fit()
    info = json.loads((t.run_dir / "run.json").read_text())
    assert info["status"] == "failed" and info["error"] == "RuntimeError: out of memory"


def test_ema_half_life_counts_every_image_shown_to_d(tmp_path, tiny_data, monkeypatch):
    """With n_critic 5 an iteration shows D 5 batches: the EMA decay per iteration is that of
    5 batches of images, so the half-life stays train.ema_halflife images."""

    seen = []
    real = trainer_module.ema_beta
    monkeypatch.setattr(trainer_module, "ema_beta", lambda n, *a: seen.append(n) or real(n, *a))
    ov = tiny_overrides(tmp_path, **{"train.images": 320})
    Trainer(load_config("wgangp-fashion-mnist", ov), data=tiny_data).fit()
    assert seen and set(seen) == {32 * 5}


# --------------------------------------------------------------------------- fp16 loss scaling


@pytest.mark.parametrize("precision", ["fp32", "bf16", "fp16"])
def test_every_precision_gives_finite_losses(precision, tmp_path, monkeypatch):
    # fp16 on CPU is what CUDA runs (float16 autocast, GradScaler); the Trainer itself never picks
    # it on CPU, but its scaler path is the same on both devices.
    monkeypatch.setattr(process_module, "choose_precision", lambda name, device: (precision, None))
    trainer = toy_trainer(tmp_path)
    assert trainer.scalers["D"].is_enabled() == (precision == "fp16")
    for _ in range(3):
        out = one_iteration(trainer)
    assert all(torch.isfinite(v).all() for v in out.values()), out
    assert all(torch.isfinite(p).all() for p in trainer.task.G.parameters())


def test_gradient_scaler_state_resumes_exactly(tmp_path, tiny_data, monkeypatch):
    """fp16 (forced here on CPU) checkpoints both scalers; a resumed run continues bit for bit."""
    monkeypatch.setattr(process_module, "choose_precision", lambda name, device: ("fp16", None))
    n = 256
    ov = tiny_overrides(
        tmp_path, **{"train.images": n, "train.checkpoint_every": n // 2, "train.log_every": 64}
    )
    straight = Trainer(load_config("dcgan-fashion-mnist", ov), data=tiny_data).fit()
    half = Trainer(
        load_config("dcgan-fashion-mnist", {**ov, "train.images": n // 2}), data=tiny_data
    )
    half.scalers["D"].set_growth_factor(4.0)  # state that only the checkpoint can carry over
    half.fit()
    assert half.state_dict()["scalers"]["D"]["growth_factor"] == 4.0
    resumed = Trainer.resume(half.run_dir, [f"train.images={n}"], data=tiny_data)
    assert resumed.scalers["D"].state_dict() == half.scalers["D"].state_dict()
    assert resumed.scalers["G"].state_dict() == half.scalers["G"].state_dict()
    resumed.fit()
    straight_g = straight.task.G.state_dict()
    assert all(torch.equal(v, resumed.task.G.state_dict()[k]) for k, v in straight_g.items())


def test_train_minutes_ends_the_run_cleanly_and_counts_across_resumes(tmp_path, tiny_data):
    ov = tiny_overrides(tmp_path, **{"train.images": 512, "train.minutes": 1e-7})
    t = Trainer(load_config("dcgan-fashion-mnist", ov), data=tiny_data).fit()
    # The budget is spent after the first iteration: its row, grid and checkpoint are written.
    assert t.status == "finished" and t.images_seen == 32
    assert ckpt.list_checkpoints(t.run_dir / "checkpoints")[-1].name == ckpt.checkpoint_name(32)
    assert (t.run_dir / "samples" / "fakes-000000000032.png").is_file()
    assert any("train.minutes=1e-07 reached at 32 images" in n for n in t.notes)
    info = json.loads((t.run_dir / "run.json").read_text())
    assert info["status"] == "finished" and info["images_seen"] == 32
    again = Trainer.resume(t.run_dir, data=tiny_data).fit()  # the clock is kept: spent already
    assert again.images_seen == 32
    more = Trainer.resume(t.run_dir, ["train.minutes=null"], data=tiny_data).fit()
    assert more.images_seen == 512


@pytest.mark.parametrize("minutes", [0, -1, "soon"])
def test_train_minutes_must_be_a_positive_number(minutes, tmp_path):
    with pytest.raises(GanforgeError, match="train.minutes"):
        load_config("dcgan-fashion-mnist", {"train.minutes": minutes})


def test_logger_sinks_are_chosen_checked_first_and_never_stop_training(tmp_path, tiny_data):
    from ganforge.loggers import SINKS, Sink, register_sink

    base = tiny_overrides(tmp_path, **{"train.images": 256})
    with pytest.raises(GanforgeError, match="unknown logger sink 'wandbb'"):
        Trainer(load_config("dcgan-fashion-mnist", {**base, "train.loggers": ["wandbb"]}))
    assert not (tmp_path / "runs").exists()  # refused before any data was read or folder made

    class Breaks(Sink):
        def __init__(self, run_dir, config, resume_at):
            self.rows = 0

        def scalars(self, images, values):
            self.rows += 1
            if self.rows == 2:
                raise OSError("disk of the tracker is full")

    with SINKS.restored():
        register_sink("breaks")(Breaks)
        cfg = load_config("dcgan-fashion-mnist", {**base, "train.loggers": ["breaks"]})
        t = Trainer(cfg, data=tiny_data).fit()
    assert t.status == "finished" and t.images_seen == 256
    assert any("logger breaks failed (OSError: disk of the tracker is full)" in n for n in t.notes)
    rows = (t.run_dir / "metrics.csv").read_text().splitlines()
    assert len(rows) == 1 + 256 // 128  # metrics.csv has every row whatever the sink did
    assert not (t.run_dir / "tensorboard").exists()  # not chosen


def test_the_default_sink_writes_tensorboard_events_when_installed(tmp_path, tiny_data):
    pytest.importorskip("tensorboard")
    ov = tiny_overrides(tmp_path, **{"train.images": 128, "runtime.tensorboard": True})
    t = Trainer(load_config("dcgan-fashion-mnist", ov), data=tiny_data).fit()
    assert list((t.run_dir / "tensorboard").glob("events.out.tfevents.*"))
    # runtime.tensorboard=false (configs of earlier runs) still takes it out
    off = tiny_overrides(tmp_path / "off", **{"train.images": 128})
    t = Trainer(load_config("dcgan-fashion-mnist", off), data=tiny_data).fit()
    assert not (t.run_dir / "tensorboard").exists()
