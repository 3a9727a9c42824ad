"""evaluation/translation.py: scoring an image-to-image model on held-out data, on a translator
whose every output is known: PSNR/SSIM against the do-nothing baseline, the cycle error, the held
out split and its notes, and which features and channels are used."""

import json

import pytest
import torch
from torch import nn

from ganforge.config import load_config
from ganforge.data.i2i.domains import TwoDomainData
from ganforge.errors import GanforgeError
from ganforge.evaluation import translation as T
from ganforge.evaluation.options import EvalOptions
from ganforge.inference.translator import Translator


class Negate(nn.Module):
    """x -> -x in the model range: uint8 v -> 255 - v."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return -x


def _translator(direction="AtoB", scale=1, channels=1, **over):
    cfg = load_config("pix2pix-edges2fashion", {"data.resolution": 16, **over})
    return Translator(cfg, Negate(), direction, "G", channels, 1, scale, 0)


def _loader(n=12, fail_test=False, seen=None):
    """A task's data reader: A random, B = 255 - A (what Negate makes of A), 16 px."""
    a = torch.randint(0, 256, (n, 1, 16, 16), generator=torch.Generator().manual_seed(0))
    a = a.to(torch.uint8)

    def load(cfg):
        if seen is not None:
            seen.append((cfg.data.split, cfg.data.max_images))
        if fail_test and cfg.data.split == "test":
            raise GanforgeError("no test/ folder")
        report = {"split": cfg.data.split, "warnings": ["a reader's note"]}
        return TwoDomainData(255 - a, None, 0, "pairs", report=report, sources=a, paired=True)

    return load


def test_a_perfect_translator_beats_the_do_nothing_baseline(tmp_path):
    seen = []
    out = T.evaluate_translator(
        _translator(), _loader(seen=seen), tmp_path, EvalOptions(n=100, features="none")
    )
    m, p = out["metrics"], out["protocol"]
    assert seen == [("test", 0)]  # the test split, all of it
    assert m["psnr"] == float("inf") and m["ssim"] == pytest.approx(1.0)
    assert m["psnr_input"] < 10 and m["ssim_input"] < 0.5  # the input is not the target
    assert "cycle_error" not in m and out["name"] == "AtoB"
    assert (p["task"], p["direction"], p["split"], p["held_out"], p["n"]) == (
        "pix2pix",
        "AtoB",
        "test",
        True,
        12,
    )
    assert p["baseline"] == "input returned unchanged" and p["features"] == "none"
    assert p["fidelity"]["channels"] == "all" and p["fidelity"]["border_crop"] == 0
    assert "a reader's note" in p["notes"]
    assert "12 held-out examples, fewer than n=100: all of them were scored" in p["notes"]
    json.dumps(out)  # written as the result file


def test_the_cycle_error_of_an_exact_inverse_is_zero(tmp_path):
    reverse = _translator("BtoA")
    out = T.evaluate_translator(
        _translator(), _loader(), tmp_path, EvalOptions(n=12, features="none"), reverse
    )
    assert out["metrics"]["cycle_error"] == out["metrics"]["cycle_error_reverse"] == 0.0


def test_the_reverse_direction_swaps_input_and_target(tmp_path):
    # BtoA of an AtoB run: inputs are the B images, targets the A images (Negate maps back).
    out = T.evaluate_translator(
        _translator("BtoA"), _loader(), tmp_path, EvalOptions(n=12, features="none")
    )
    assert out["metrics"]["psnr"] == float("inf") and out["name"] == "BtoA"


def test_what_is_not_held_out_is_said(tmp_path):
    (tmp_path / "data_report.json").write_text(json.dumps({"split": "test"}))
    out = T.evaluate_translator(_translator(), _loader(), tmp_path, EvalOptions(features="none"))
    assert out["protocol"]["held_out"] is False  # the run trained on the test split
    assert "the scored images are not held out from training" in out["protocol"]["notes"]
    assert "--n 10,000 capped at 10,000" not in out["protocol"]["notes"]
    capped = T.evaluate_translator(
        _translator(),
        _loader(fail_test=True),
        tmp_path / "x",
        EvalOptions(n=20_000, features="none"),
    )
    notes = capped["protocol"]["notes"]
    assert notes[0] == "no test split (no test/ folder): scored on the training data"
    assert "--n 20,000 capped at 10,000" in notes and capped["protocol"]["held_out"] is False


def test_too_few_images_skip_the_frechet_distance_without_loading_features(tmp_path, monkeypatch):
    def no_loading(name):
        raise AssertionError("the extractor must not be loaded")

    monkeypatch.setattr(T, "load_extractor", no_loading)
    out = T.evaluate_translator(_translator(), _loader(), tmp_path, EvalOptions(features="fmnist"))
    why = out["protocol"]["skipped"]["fd_fmnist"]
    assert why.startswith("12 images per side, not more than the 256 dimensions of the fmnist")
    assert "fd_fmnist" not in out["metrics"] and out["metrics"]["psnr"] == float("inf")


def test_features_default_by_data_source_and_unknown_ones_are_refused():
    assert T.default_features(load_config("pix2pix-edges2fashion")) == "fmnist"
    assert T.default_features(load_config("cyclegan-fashion")) == "fmnist"
    facades = load_config("pix2pix-edges2fashion", {"data.source": "facades"})
    assert T.resolve_features(facades, "auto") == "inception"
    assert T.resolve_features(facades, "none") == "none"
    with pytest.raises(GanforgeError, match="^--features fid is not one of auto, .*none$"):
        T.resolve_features(facades, "fid")


def test_fidelity_channels_are_luma_for_colour_super_resolution_only():
    assert T.fidelity_channels(_translator(scale=4, channels=3)) == "y"
    assert T.fidelity_channels(_translator(scale=4, channels=1)) == "all"
    assert T.fidelity_channels(_translator(scale=1, channels=3)) == "all"
    assert T.fidelity_channels(_translator(scale=1, channels=3), "y") == "y"
    with pytest.raises(GanforgeError, match="takes the luma of RGB images; this run has 1 channel"):
        T.fidelity_channels(_translator(channels=1), "y")
    with pytest.raises(GanforgeError, match="^--fidelity-channels rgb is not one of auto, y, all$"):
        T.fidelity_channels(_translator(), "rgb")


def test_noise_to_image_options_are_refused_before_any_work(tmp_path):
    def never(cfg):
        raise AssertionError("no data may be read")

    for options, flag in (
        (EvalOptions(metrics="fd"), "--metrics"),
        (EvalOptions(split="train"), "--split"),
        (EvalOptions(real="mnist"), "--real"),
    ):
        with pytest.raises(GanforgeError, match=f"^{flag} does not apply to image-to-image runs"):
            T.evaluate_translator(_translator(), never, tmp_path, options)
