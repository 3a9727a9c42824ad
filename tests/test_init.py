"""ganforge/__init__.py: the top-level train() and the lazy public names (no torch on import)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ganforge.config import Config, load_config
from ganforge.errors import GanforgeError


def test_top_level_train_applies_overrides_to_a_config_object(monkeypatch):
    import ganforge
    from ganforge.train import trainer as trainer_module

    # Loading the ganforge.train subpackage must not replace the function of the same name.
    assert callable(ganforge.train)

    seen: list[Config] = []

    class FakeTrainer:  # records the config instead of training
        device = "cpu"

        def __init__(self, cfg: Config) -> None:
            seen.append(cfg)

        def fit(self, on_finish=None) -> None:
            pass

    monkeypatch.setattr(trainer_module, "Trainer", FakeTrainer)
    cfg = load_config("dcgan-fashion-mnist")
    ganforge.train(cfg, **{"train.images": 2e5, "model.g_width": 8})
    assert (seen[-1].train.images, seen[-1].model.g_width) == (200_000, 8)
    assert (cfg.train.images, cfg.model.g_width) == (300_000, 64)  # the caller's copy is untouched
    ganforge.train(cfg)
    assert seen[-1] is cfg
    ganforge.train("dcgan-fashion-mnist", **{"train.batch_size": 16})
    assert seen[-1].train.batch_size == 16
    with pytest.raises(GanforgeError, match="did you mean 'train.images'"):
        ganforge.train(cfg, **{"train.imgs": 1})
    with pytest.raises(GanforgeError, match="model.g_width=0 must be at least 1"):
        ganforge.train(cfg, **{"model.g_width": 0})


def test_public_names_load_on_first_use():
    import ganforge
    from ganforge.runs import load_run
    from ganforge.tasks import register_task
    from ganforge.train.trainer import Trainer

    assert ganforge.load_run is load_run and ganforge.Trainer is Trainer
    assert ganforge.register_task is register_task and ganforge.Config is Config
    assert set(ganforge.__all__) >= {"Config", "Trainer", "load_run", "train", "__version__"}
    with pytest.raises(AttributeError, match="module 'ganforge' has no attribute 'nothing'"):
        ganforge.nothing  # noqa: B018
    with pytest.raises(TypeError, match="takes a Config or a preset name, not int"):
        ganforge.train(3)


def test_import_ganforge_loads_no_torch():
    code = "import sys, ganforge; ganforge.train; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
