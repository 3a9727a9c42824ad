"""config/autoencoder.py: the autoencoder section's defaults, presets and one-line refusals."""

from __future__ import annotations

import pytest

from ganforge.config import AutoencoderConfig, load_config
from ganforge.errors import GanforgeError


def test_defaults_and_the_presets_read_back():
    assert AutoencoderConfig() == AutoencoderConfig("mlp", [], 128, 32, 0.0, 0.0, False)
    tutorial = load_config("autoencoder-fashion-mnist")
    assert tutorial.model.task == "autoencoder" and tutorial.autoencoder.code == 32
    paper = load_config("dcgan-ae-32", {"autoencoder.center": True})
    assert paper.autoencoder.noise > 0 and paper.autoencoder.center
    assert "autoencoder:\n  arch: mlp" in paper.to_yaml()


@pytest.mark.parametrize(
    "over, message",
    [
        ({"autoencoder.arch": "vae"}, "autoencoder.arch='vae' is not one of mlp, conv"),
        ({"autoencoder.code": 0}, "autoencoder.code=0 must be at least 1"),
        ({"autoencoder.width": 0}, "autoencoder.width=0 must be at least 1"),
        ({"autoencoder.hidden": [0]}, "autoencoder.hidden=.0. must list at most 16 sizes"),
        ({"autoencoder.noise": float("nan")}, "must be a finite number"),
        ({"autoencoder.dropout": -0.5}, r"autoencoder.dropout=-0.5 must be in \[0, 1\)"),
    ],
)
def test_bad_values_are_one_line(over, message):
    with pytest.raises(GanforgeError, match=message) as e:
        load_config("dcgan-ae-32", over)
    assert "\n" not in str(e.value)
