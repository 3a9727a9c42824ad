"""config/sections.py: each section's own checks (one line naming the key) and derived values."""

import pytest

from ganforge.config import (
    DataConfig,
    LossConfig,
    ModelConfig,
    OptimConfig,
    RuntimeConfig,
    TrainConfig,
    load_config,
)
from ganforge.errors import GanforgeError


def test_label_smoothing_is_refused_for_the_wasserstein_loss():
    with pytest.raises(GanforgeError, match="no meaning for loss.name=wasserstein"):
        load_config("wgan-fashion-mnist", ["loss.label_smoothing=0.1"])
    with pytest.raises(GanforgeError, match="no meaning for loss.name=wasserstein"):
        load_config("dcgan-fashion-mnist", ["loss.label_smoothing=0.1", "loss.name=wasserstein"])
    assert load_config("wgan-fashion-mnist", ["loss.label_smoothing=0"]).loss.name == "wasserstein"


@pytest.mark.parametrize(
    "section,kwargs,message",
    [
        (DataConfig, {"channels": 2}, r"^data\.channels=2 must be 1, 3"),
        (
            DataConfig,
            {"resolution": 2},
            r"^data\.resolution=2 must be at least 4 \(pixels a side\)",
        ),
        (DataConfig, {"source": " "}, r"^data\.source is empty: use fashion-mnist"),
        (DataConfig, {"background": "blurple"}, r"^data\.background='blurple' is not a colour"),
        (DataConfig, {"split": "val"}, r"^data\.split='val' is not one of train, test"),
        (DataConfig, {"max_images": -1}, r"^data\.max_images=-1 must be >= 0 \(0: all images\)"),
        (ModelConfig, {"task": ""}, r"^model\.task is empty"),
        (ModelConfig, {"g_hidden": [8] * 65}, r"must list at most 64 sizes, each at most 16,384"),
        (LossConfig, {"name": " "}, r"^loss\.name is empty"),
        (LossConfig, {"r1_every": 0}, r"^loss\.r1_every=0 must be at least 1"),
        (TrainConfig, {"seed": 2**32}, r"^train\.seed=4294967296 must be below 4,294,967,296"),
        (TrainConfig, {"lr_schedule": "cosine"}, r"^train\.lr_schedule='cosine' is not one of"),
        (TrainConfig, {"grid_size": 0}, r"^train\.grid_size=0 must be at least 1 \(samples per"),
        (RuntimeConfig, {"device": ""}, r"^runtime\.device is empty"),
        (RuntimeConfig, {"precision": "fp8"}, r"^runtime\.precision='fp8' is not one of"),
        (RuntimeConfig, {"threads": -1}, r"^runtime\.threads=-1 must be >= 0"),
    ],
)
def test_each_section_checks_its_values_in_one_line(section, kwargs, message):
    with pytest.raises(GanforgeError, match=message) as e:
        section(**kwargs)
    assert "\n" not in str(e.value)


def test_optimizer_checks_name_the_section_they_are_called_for():
    with pytest.raises(GanforgeError, match=r"^d_optim\.betas=\[0\.5, 1\.0\] must be two numbers"):
        OptimConfig(betas=[0.5, 1.0]).check("d_optim")
    with pytest.raises(GanforgeError, match=r"^g_optim\.name='sgd' is not one of adam, rmsprop"):
        OptimConfig(name="sgd").check("g_optim")
    OptimConfig(betas=[0.0, 0.0]).check("g_optim")


def test_data_sizes_and_kinds():
    square = DataConfig(resolution=48)
    assert (square.size, square.is_square, square.is_toy) == ((48, 48), True, False)
    assert DataConfig(resolution=[64, 64]).resolution == 64  # one spelling per size
    wide = DataConfig(resolution=[64, 96])
    assert (wide.size, wide.is_square) == ((64, 96), False)
    with pytest.raises(GanforgeError, match="must be one side or \\[height, width\\]"):
        DataConfig(resolution=[64, 96, 3])
    assert DataConfig(source="toy-grid").is_toy and DataConfig(background="#102030")
