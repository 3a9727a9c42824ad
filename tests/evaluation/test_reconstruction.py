"""evaluation/reconstruction.py: held-out MSE / PSNR / SSIM of an autoencoder and its baseline."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from ganforge.config import load_config
from ganforge.data.dataset import ImageData
from ganforge.errors import GanforgeError
from ganforge.evaluation.options import EvalOptions
from ganforge.evaluation.reconstruction import evaluate_autoencoder, fidelity, mse
from ganforge.inference.encoder import Encoder
from ganforge.metrics.psnr_ssim import psnr


class _Identity(torch.nn.Module):
    """An 'autoencoder' whose code is the image: perfect reconstructions."""

    in_shape, code_dim = (1, 16, 16), 256

    def encode(self, x):
        return x.flatten(1)

    def decode(self, code):
        return code.view(-1, *self.in_shape)

    def parameters(self, recurse=True):
        yield torch.zeros(1)


def _data(split: str = "test") -> ImageData:
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (40, 1, 16, 16), generator=g, dtype=torch.uint8)
    return ImageData(images, None, 0, "random", report={"split": split})


def test_mse_psnr_and_ssim_against_hand_values():
    x = torch.full((2, 1, 16, 16), 100, dtype=torch.uint8)
    y = x + 10
    torch.testing.assert_close(mse(x, y), torch.full((2,), (10 / 255) ** 2, dtype=torch.float64))
    res = fidelity(y, x)
    assert res["psnr"] == pytest.approx(float(psnr(y, x)[0]))
    assert set(res) == {"mse", "psnr", "ssim"}
    assert "ssim" not in fidelity(y[..., :8, :8], x[..., :8, :8])  # below the 11 px window


def test_a_perfect_autoencoder_beats_the_mean_image(tmp_path):
    cfg = load_config(
        "dcgan-ae-32",
        {"data.resolution": 16, "data.source": "folder:x", "model.task": "autoencoder"},
    )
    seen = []

    def load(c):
        seen.append(c.data.split)
        return _data(c.data.split)

    out = evaluate_autoencoder(Encoder(_Identity()), cfg, load, tmp_path, EvalOptions(n=25))
    m, p = out["metrics"], out["protocol"]
    assert m["mse"] == 0 and m["psnr"] == float("inf") and m["ssim"] == pytest.approx(1.0)
    assert m["mse_mean_image"] > 0.05 and m["ssim_mean_image"] < 0.2
    assert p["n"] == 25 and p["held_out"] is True and seen == ["test"]
    assert out["name"] == "reconstruction"


def test_what_is_not_held_out_is_said_and_options_of_other_runs_refused(tmp_path):
    cfg = load_config("dcgan-ae-32", {"data.resolution": 16})
    out = evaluate_autoencoder(
        Encoder(_Identity()), cfg, lambda c: _data("all"), tmp_path, EvalOptions(n=100)
    )
    assert out["protocol"]["held_out"] is False and out["protocol"]["n"] == 40
    assert any("not held out" in n for n in out["protocol"]["notes"])
    with pytest.raises(GanforgeError, match="--metrics does not apply to autoencoder runs"):
        evaluate_autoencoder(
            Encoder(_Identity()),
            cfg,
            _data,
            tmp_path,
            dataclasses.replace(EvalOptions(), metrics="fd"),
        )
