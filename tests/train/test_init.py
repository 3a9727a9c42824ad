"""train.init: a new run starts from a trained model's weights (fine-tuning), checked first."""

from __future__ import annotations

import pytest
import torch

from ganforge.config import load_config
from ganforge.errors import GanforgeError
from ganforge.explore.hub_export import save_pretrained
from ganforge.runs import load_run
from ganforge.train.trainer import Trainer
from helpers import random_images, tiny_overrides
from tiny_runs import dcgan_run  # noqa: F401  (session-scoped fixture)


@pytest.fixture(scope="module")
def folder(dcgan_run, tmp_path_factory):  # noqa: F811
    return save_pretrained(load_run(dcgan_run), tmp_path_factory.mktemp("hub") / "g")


def _trainer(tmp_path, init, **extra):
    over = tiny_overrides(tmp_path, **{"train.init": str(init), "runtime.threads": 1, **extra})
    return Trainer(load_config("dcgan-fashion-mnist", over), data=random_images())


def _same(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_a_model_folder_starts_g_and_its_ema_and_leaves_d_and_optimizers_fresh(folder, tmp_path):
    trainer = _trainer(tmp_path, folder)
    source = load_run(folder).G
    assert _same(trainer.task.nets["G"], source)
    assert _same(trainer.ema["G"].model, source)  # the EMA starts from the loaded weights
    assert trainer.init.loaded == ["G"] and trainer.init.fresh == ["D"]
    assert any("holds no weights of D" in n for n in trainer.notes)
    assert all(not o.state for o in trainer.task.optimizers.values())  # fresh moments
    assert trainer.images_seen == 0
    meta = trainer.state_dict()["meta"]["init"]
    assert meta["source"] == str(folder) and meta["images_seen"] == load_run(folder).images_seen


def test_a_run_folder_gives_its_ema_generator_and_its_discriminator(dcgan_run, tmp_path):  # noqa: F811
    trainer = _trainer(tmp_path, dcgan_run)
    run = load_run(dcgan_run)
    assert trainer.init.loaded == ["G", "D"] and not trainer.init.fresh
    assert _same(trainer.task.nets["G"], run.G)  # the EMA copy, the one that samples
    assert _same(trainer.task.nets["D"], run.build_discriminator())


@pytest.mark.parametrize(
    "extra, words",
    [
        ({"data.resolution": 64}, "makes 32 px images and this run 64 px"),
        ({"data.channels": 3}, "images of 1 channel.s. and this run 3"),
        ({"model.z_dim": 64}, "model.z_dim=100 and this run 64: the architectures must match"),
    ],
)
def test_a_model_that_does_not_fit_is_refused_naming_the_setting(folder, tmp_path, extra, words):
    data = random_images(channels=3) if extra.get("data.channels") == 3 else random_images()
    over = tiny_overrides(tmp_path, **{"train.init": str(folder), **extra})
    with pytest.raises(GanforgeError, match=words) as e:
        Trainer(load_config("dcgan-fashion-mnist", over), data=data)
    assert "\n" not in str(e.value)


def test_a_resumed_run_does_not_read_its_source_again(folder, tmp_path):
    trainer = _trainer(tmp_path, folder, **{"train.images": 64, "train.checkpoint_every": 64})
    trainer.fit()
    moved = folder.parent / "moved"
    folder.rename(moved)  # the source is gone: resuming must not need it
    try:
        resumed = Trainer.resume(trainer.run_dir, {"train.images": 128}, data=random_images())
        assert resumed.init is None and resumed.images_seen == 64
        assert resumed.state_dict()["meta"]["init"] == {"source": str(folder)}
    finally:
        moved.rename(folder)
