"""`ganforge eval` end to end: a tiny run trained here, folder-vs-folder, and every bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from ganforge.cli import main
from ganforge.config import load_config
from ganforge.data import load_data
from ganforge.images import save_png
from ganforge.metrics.fmnist_net import FEATURE_DIM
from ganforge.train.trainer import Trainer
from helpers import tiny_overrides

N = str(FEATURE_DIM + 44)  # 300: the fewest samples a Frechet distance on 256-d features allows


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("eval-run")
    cfg = load_config("dcgan-fashion-mnist", tiny_overrides(tmp, **{"train.images": 256}))
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (256, 1, 32, 32), generator=g, dtype=torch.uint8)
    from ganforge.data.dataset import ImageData

    data = ImageData(images, torch.randint(0, 10, (256,), generator=g), 10, "fashion-mnist")
    return Trainer(cfg, data=data).fit().run_dir


def _error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ganforge: error: "), err
    return err[0]


def test_eval_run_prints_table_and_writes_json_with_protocol(run_dir, capsys):
    assert main(["eval", str(run_dir), "--n", N]) == 0
    out = capsys.readouterr().out
    # Fashion-MNIST defaults: the shipped fmnist features, all metrics; FD is never called FID.
    for name in ("FD-FMNIST", "KID-FMNIST", "classifier score", "precision", "coverage"):
        assert name in out, out
    assert "FID" not in out
    path = run_dir / "eval" / "eval-ckpt-000000000256-fmnist.json"
    result = json.loads(path.read_text())
    assert result["generator"] == "ema" and result["images_seen"] == 256
    m, p = result["metrics"], result["protocol"]
    assert m["fd_fmnist"] > 0 and m["classes_present"] <= 10 and "fid" not in m
    assert p["extractor"] == "fmnist" and len(p["weights_sha256"]) == 64
    assert p["n_fake"] == p["n_real"] == int(N) and p["seed"] == 0
    assert p["dataset"].startswith("fashion-mnist-1x32x32-") and p["split"] == "test"
    assert p["resize"] and p["quantisation"] and len(p["reference_sha256"]) == 64
    assert p["ganforge_version"] and p["checkpoint"].endswith("ckpt-000000000256.safetensors")

    # Same seed, same numbers (the reference now comes from the cache); --json goes elsewhere.
    other = run_dir / "again.json"
    assert main(["eval", str(run_dir), "--n", N, "--metrics", "fd", "--json", str(other)]) == 0
    again = json.loads(other.read_text())
    assert again["metrics"]["fd_fmnist"] == pytest.approx(m["fd_fmnist"], rel=1e-9)
    assert again["protocol"]["hash"] != p["hash"]  # another metric list is another protocol


def test_toy_run_gets_mode_coverage(tmp_path, capsys):
    over = tiny_overrides(tmp_path, **{"data.toy_samples": 2048, "train.images": 256})
    for k in ("model.g_width", "model.d_width"):
        over.pop(k)
    run = Trainer(load_config("toy-ring-mlp", over)).fit().run_dir
    assert main(["eval", str(run), "--n", "1000"]) == 0
    assert "modes covered" in capsys.readouterr().out
    result = json.loads((run / "eval" / "eval-ckpt-000000000256-toy.json").read_text())
    assert result["metrics"]["num_modes"] == 8 and 0 <= result["metrics"]["modes_covered"] <= 8
    assert main(["eval", str(run), "--metrics", "fd"]) == 2
    assert "mode coverage only" in _error(capsys)


def _folder(root: Path, images: torch.Tensor) -> str:
    root.mkdir()
    for i, img in enumerate(images):
        save_png(root / f"{i:04d}.png", img.permute(1, 2, 0).numpy())
    return f"folder:{root}"


@pytest.fixture(scope="module")
def fmnist() -> torch.Tensor:
    cfg = load_config("dcgan-fashion-mnist", {"data.split": "test", "data.resolution": 28})
    return load_data(cfg.data).images  # (10000, 1, 28, 28), the embedded split


def test_folder_vs_folder(tmp_path, fmnist, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where results without --json go
    a = _folder(tmp_path / "a", fmnist[:300])
    b = _folder(tmp_path / "b", fmnist[300:600])
    g = torch.Generator().manual_seed(1)
    noise = _folder(tmp_path / "noise", torch.randint(0, 256, (300, 1, 28, 28), generator=g).byte())
    out = tmp_path / "ab.json"
    base = ["eval", "--real", a, "--features", "fmnist", "--metrics", "fd,pr"]
    assert main([*base, "--fake", b, "--json", str(out)]) == 0
    assert "FD-FMNIST" in capsys.readouterr().out
    assert main([*base, "--fake", noise, "--json", str(tmp_path / "noise.json")]) == 0
    same = json.loads(out.read_text())
    other = json.loads((tmp_path / "noise.json").read_text())
    assert same["metrics"]["fd_fmnist"] < 0.1 * other["metrics"]["fd_fmnist"]
    assert same["protocol"]["n_fake"] == 300 and same["protocol"]["split"] == "all"
    # A folder of fakes against the data set itself, brought to the fakes' size.
    real = ["eval", "--real", "fashion-mnist", "--fake", b, "--metrics", "kid", "--n", "200"]
    assert main(real) == 0
    assert "KID-FMNIST" in capsys.readouterr().out
    assert (tmp_path / "eval-b-vs-fashion-mnist-fmnist.json").is_file()


def test_folder_vs_folder_writes_a_json_by_default(tmp_path, fmnist, capsys, monkeypatch):
    a = _folder(tmp_path / "real", fmnist[:300])
    b = _folder(tmp_path / "fake", fmnist[300:600])
    monkeypatch.chdir(tmp_path)
    args = ["eval", "--real", a, "--fake", b, "--features", "fmnist", "--metrics", "fd,kid"]
    assert main(args) == 0
    out = capsys.readouterr().out
    path = tmp_path / "eval-fake-vs-real-fmnist.json"
    assert f"result written to {path.name}" in out
    result = json.loads(path.read_text())
    p = result["protocol"]
    assert result["fake"] == b and result["real"] == a and "fd_fmnist" in result["metrics"]
    assert p["extractor"] == "fmnist" and len(p["weights_sha256"]) == 64
    assert p["n_fake"] == p["n_real"] == 300 and p["split"] == "all" and p["seed"] == 0
    assert p["resize"] and p["quantisation"] and len(p["reference_sha256"]) == 64
    assert p["ganforge_version"] and p["settings"]["kid_subset_size"] == 150
    assert p["fake_images_sha256"] and p["hash"]
    # Against a data set, the file is named after it (and its split when one is given).
    real = ["eval", "--real", "fashion-mnist", "--split", "test", "--fake", b]
    assert main([*real, "--metrics", "pr", "--features", "fmnist", "--n", "300"]) == 0
    assert (tmp_path / "eval-fake-vs-fashion-mnist-test-fmnist.json").is_file()


def test_mnist_features_without_the_trained_net_say_how_to_train_it(tmp_path, fmnist, capsys):
    a = _folder(tmp_path / "a", fmnist[:300])
    args = ["eval", "--real", a, "--fake", a, "--features", "mnist", "--metrics", "pr"]
    assert main([*args, "--json", str(tmp_path / "x.json")]) == 2
    assert "python benchmarks/train_feature_net.py --dataset mnist" in _error(capsys)
    assert not (tmp_path / "x.json").exists()


def test_folder_errors_are_one_line(tmp_path, fmnist, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where results without --json go
    a = _folder(tmp_path / "a", fmnist[:300])
    big = load_config("dcgan-fashion-mnist", {"data.split": "test"})  # 32 px
    c = _folder(tmp_path / "c", load_data(big.data).images[:300])
    few = _folder(tmp_path / "few", fmnist[:20])
    (tmp_path / "empty").mkdir()
    cases = [
        (["--real", a, "--fake", c], "pass --resolution R"),
        (["--real", a, "--fake", few], "needs more than 256"),
        (["--real", a, "--fake", f"folder:{tmp_path / 'empty'}"], "holds no images"),
        (["--real", a, "--fake", str(tmp_path / "a")], "takes folder:PATH"),
        (["--fake", a], "--fake needs --real"),
        (["--real", a, "--fake", a, "--metrics", "modes"], "drop modes"),
    ]
    for args, message in cases:
        assert main(["eval", "--features", "fmnist", *args]) == 2, args
        assert message in _error(capsys), args
    # --resolution is the fix the message names.
    ok = ["eval", "--real", a, "--fake", c, "--resolution", "28", "--metrics", "pr"]
    assert main([*ok, "--features", "fmnist"]) == 0


def test_bad_run_inputs_are_one_line(tmp_path, run_dir, capsys):
    cases = [
        ([str(tmp_path)], "not a ganforge run folder"),
        ([str(tmp_path / "missing")], "does not exist"),
        ([str(run_dir), "--metrics", "fdd"], "did you mean 'fd'"),
        ([str(run_dir), "--n", "100"], "use --n=257 or more"),
        ([str(run_dir), "--features", "incepton"], "did you mean 'inception'"),
        ([str(run_dir), "--checkpoint", "best"], "not found"),
        ([], "nothing to score"),
    ]
    for args, message in cases:
        assert main(["eval", *args]) == 2, args
        assert message in _error(capsys), args
