"""`ganforge translate`, `upscale` and `eval` end to end on tiny runs trained through the CLI."""

import json

import numpy as np
import pytest
from PIL import Image

from ganforge.cli import main

TRAIN = [
    "data.split=test",
    "data.max_images=300",
    "data.resolution=16",
    "model.g_width=4",
    "model.d_width=4",
    "train.batch_size=8",
    "train.images=16",
    "train.log_every=8",
    "train.sample_every=16",
    "train.checkpoint_every=16",
    "runtime.tensorboard=false",
]
EXTRA = {
    "pix2pix-edges2fashion": ["i2i.unet_depth=4"],
    "cyclegan-fashion": ["i2i.g_blocks=1"],
    "srgan-fashion-x4": ["i2i.g_blocks=1", "i2i.pretrain_images=0"],
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("i2i-runs")
    found = {}
    for preset, extra in EXTRA.items():
        sets = [a for s in TRAIN + extra for a in ("--set", s)]
        assert main(["train", "--preset", preset, "--out", str(out), "--no-progress", *sets]) == 0
        (found[preset],) = out.glob(f"*-{preset}")
    return found


def cli(capsys, *args, code=0):
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert rc == code, err
    return out, err


@pytest.fixture
def inputs(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (20, 24), dtype=np.uint8)).save(d / "grey.png")
    Image.fromarray(rng.integers(0, 256, (16, 16, 4), dtype=np.uint8), "RGBA").save(d / "rgba.png")
    deep = rng.integers(0, 65536, (18, 17), dtype=np.uint16)
    Image.fromarray(deep).save(d / "deep.tif")
    (d / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    return d


def test_translate_a_folder_keeps_names_and_sizes(runs, inputs, tmp_path, capsys):
    out = tmp_path / "out"
    _, err = cli(capsys, "translate", runs["pix2pix-edges2fashion"], inputs, "--out", out, code=2)
    assert sorted(p.name for p in out.iterdir()) == ["deep.png", "grey.png", "rgba.png"]
    assert (
        Image.open(out / "grey.png").size == (24, 20) and Image.open(out / "grey.png").mode == "L"
    )
    assert Image.open(out / "deep.png").size == (17, 18)
    assert "wrote 3 image(s)" in err and "skipped: cannot read" in err and "broken.png" in err


def test_translate_directions_and_wrong_runs(runs, inputs, tmp_path, capsys):
    grey = inputs / "grey.png"
    _, err = cli(
        capsys,
        "translate",
        runs["pix2pix-edges2fashion"],
        grey,
        "--out",
        tmp_path / "x",
        "--direction",
        "BtoA",
        code=2,
    )
    assert "trained AtoB only" in err
    cli(
        capsys,
        "translate",
        runs["cyclegan-fashion"],
        grey,
        "--out",
        tmp_path / "y",
        "--direction",
        "BtoA",
    )
    assert Image.open(tmp_path / "y" / "grey.png").size == (24, 20)
    _, err = cli(
        capsys, "translate", runs["srgan-fashion-x4"], grey, "--out", tmp_path / "z", code=2
    )
    assert "cannot translate" in err and "its uses: upscale (commands for them: upscale)" in err
    small = tmp_path / "small.png"
    Image.fromarray(np.zeros((10, 10), dtype=np.uint8)).save(small)
    _, err = cli(
        capsys, "translate", runs["pix2pix-edges2fashion"], small, "--out", tmp_path / "w", code=2
    )
    assert "10x10 px, too small for this network: it needs at least 16x16" in err


def test_upscale_one_file_tiled_like_whole(runs, inputs, tmp_path, capsys):
    grey, run = inputs / "grey.png", runs["srgan-fashion-x4"]
    cli(capsys, "upscale", run, grey, "--out", tmp_path / "big.png")
    cli(capsys, "upscale", run, grey, "--out", tmp_path / "tiled.png", "--tile", "7")
    whole = np.asarray(Image.open(tmp_path / "big.png"), dtype=int)
    tiled = np.asarray(Image.open(tmp_path / "tiled.png"), dtype=int)
    assert whole.shape == (80, 96) and np.abs(whole - tiled).max() <= 1
    _, err = cli(
        capsys, "upscale", runs["pix2pix-edges2fashion"], grey, "--out", tmp_path / "c.png", code=2
    )
    assert "cannot upscale" in err and "(commands for them: translate)" in err
    _, err = cli(capsys, "upscale", run, inputs, "--out", tmp_path / "d.png", code=2)
    assert "need an output folder" in err


def test_eval_scores_held_out_pairs_against_the_baseline(runs, tmp_path, capsys):
    out, _ = cli(
        capsys, "eval", runs["srgan-fashion-x4"], "--n", 300, "--json", tmp_path / "e.json"
    )
    assert "psnr_bicubic" in out
    result = json.loads((tmp_path / "e.json").read_text())
    assert result["protocol"]["task"] == "srgan" and result["metrics"]["psnr"] > 0
    out, _ = cli(
        capsys, "eval", runs["cyclegan-fashion"], "--n", 300, "--json", tmp_path / "c.json"
    )
    metrics = json.loads((tmp_path / "c.json").read_text())["metrics"]
    assert 0 <= metrics["cycle_error"] <= 1 and 0 <= metrics["target_class_accuracy"] <= 1


def test_wrong_channel_count_and_tiny_images(runs):
    import torch

    from ganforge.errors import GanforgeError
    from ganforge.inference.translator import translate_tensor
    from ganforge.runs import load_run

    tr = load_run(runs["pix2pix-edges2fashion"]).model
    with pytest.raises(GanforgeError, match=r"expected \(N, 1, H, W\).*got \(1, 3, 16, 16\)"):
        translate_tensor(tr, torch.zeros(1, 3, 16, 16, dtype=torch.uint8))
    cyc = load_run(runs["cyclegan-fashion"]).model
    # 5 px: padded to the ResNet generator's smallest input (8 px), then cropped back
    assert translate_tensor(cyc, torch.zeros(1, 1, 5, 6, dtype=torch.uint8)).shape == (1, 1, 5, 6)
    with pytest.raises(GanforgeError, match="3x3 px, too small for this network"):
        translate_tensor(cyc, torch.zeros(1, 1, 3, 3, dtype=torch.uint8))


def test_eval_refuses_options_that_do_not_apply(runs, tmp_path, capsys):
    run = runs["pix2pix-edges2fashion"]
    for args, message in [
        (("--metrics", "fd"), "--metrics does not apply to image-to-image runs"),
        (("--split", "train"), "--split does not apply"),
        (("--real", "fashion-mnist"), "--real does not apply"),
        (("--resolution", "32"), "--resolution does not apply"),
        (("--direction", "BtoA"), "trained AtoB only"),
        (("--fidelity-channels", "y"), "takes the luma of RGB images; this run has 1 channel"),
        (("--features", "fid"), "--features fid is not one of auto,"),
    ]:
        _, err = cli(capsys, "eval", run, *args, "--json", tmp_path / "e.json", code=2)
        assert message in err and len(err.strip().splitlines()) == 1, err
    _, err = cli(
        capsys, "eval", "--real", "folder:a", "--fake", "folder:b", "--direction", "BtoA", code=2
    )
    assert "--direction is for image-to-image runs" in err
    assert not (tmp_path / "e.json").exists()


def test_eval_reverse_direction_says_when_n_is_capped(runs, tmp_path, capsys):
    run = runs["cyclegan-fashion"]
    args = ("eval", run, "--direction", "BtoA", "--n", 20_000, "--json", tmp_path / "r.json")
    _, err = cli(capsys, *args)
    assert "--n 20,000 capped at 10,000" in err
    assert "held-out examples, fewer than n=10000" in err  # the test split has 1,000 boots
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["protocol"]["direction"] == "BtoA" and result["protocol"]["n"] == 1000
    m = result["metrics"]
    assert 0 <= m["target_class_accuracy"] <= 1 and 0 <= m["cycle_error"] <= 1
    assert result["protocol"]["fidelity"]["channels"] == "all"


def test_colour_sr_eval_uses_the_y_channel_and_skips_fid_offline(tmp_path, capsys, monkeypatch):
    import urllib.error
    import urllib.request

    monkeypatch.delenv("GANFORGE_OFFLINE")  # the download is attempted, and fails: no network
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(1)
    for i in range(130):  # 16 native tiles of 32 px each: 2,080 HR images, more than 2,048
        Image.fromarray(rng.integers(0, 256, (128, 128, 3), dtype=np.uint8)).save(
            folder / f"{i}.png"
        )
    extra = ["i2i.g_blocks=1", "i2i.pretrain_images=8", "i2i.content_loss=l1", "i2i.load_size=32"]
    sets = [a for s in TRAIN[2:] + extra for a in ("--set", s)]
    out = tmp_path / "runs"
    argv = ["train", "--preset", "srgan-x4", "--data", f"folder:{folder}", "--out", str(out)]
    assert main([*argv, "--no-progress", *sets]) == 0
    (run,) = out.glob("*-srgan-x4")
    tried = []

    def offline(*args, **kw):
        tried.append(args)
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    table, err = cli(capsys, "eval", run, "--json", tmp_path / "sr.json")
    assert "psnr_bicubic" in table and "note: fid skipped: inception features unavailable" in err
    protocol = json.loads((tmp_path / "sr.json").read_text())["protocol"]
    assert "could not download" in protocol["skipped"]["fid"] and protocol["n"] == 2080
    assert protocol["fidelity"]["channels"] == "y" and protocol["fidelity"]["border_crop"] == 4
    # asked for by name, the same missing weights are the command's one-line error
    _, err = cli(capsys, "eval", run, "--features", "inception", code=2)
    assert "could not download" in err
    # too few images for a 2048-d distance: skipped with that reason, nothing downloaded
    tried.clear()
    _, err = cli(capsys, "eval", run, "--n", 100, "--json", tmp_path / "few.json")
    skipped = json.loads((tmp_path / "few.json").read_text())["protocol"]["skipped"]
    assert "100 images per side" in skipped["fid"] and not tried
