"""Extractor registry: the weights hash, and the "mnist" extractor trained by the repository's
script (here on a tiny generated IDX set, since MNIST itself is not on this machine)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from ganforge.data.sources.idx import write_idx
from ganforge.errors import GanforgeError
from ganforge.metrics.features import EXTRACTORS, load_extractor, sha256_state_dict
from ganforge.metrics.fmnist_net import DEFAULT_WEIGHTS, MNIST_TRAIN_COMMAND, mnist_weights_paths
from ganforge.metrics.registry import evaluate

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "train_feature_net.py"


def test_state_dict_hash_is_canonical():
    a = {"w": torch.arange(6.0).reshape(2, 3), "b": torch.zeros(3), "n": torch.tensor(7)}
    reordered = {k: a[k].clone() for k in ("n", "b", "w")}
    assert sha256_state_dict(a) == sha256_state_dict(reordered)
    # Same bytes under another shape, dtype or name are other weights.
    for other in (
        {**a, "w": a["w"].reshape(3, 2)},
        {**a, "b": torch.zeros(3, dtype=torch.float64)},
        {"v": a["w"], "b": a["b"], "n": a["n"]},
    ):
        assert sha256_state_dict(other) != sha256_state_dict(a)
    # A non-contiguous view hashes as its values, not its storage.
    t = torch.arange(6.0).reshape(3, 2).t()
    assert sha256_state_dict({"w": t}) == sha256_state_dict({"w": t.contiguous()})


def test_missing_mnist_net_names_the_command_and_the_file():
    assert "mnist" in EXTRACTORS
    with pytest.raises(GanforgeError) as e:
        load_extractor("mnist")
    msg = str(e.value)
    assert MNIST_TRAIN_COMMAND in msg and str(mnist_weights_paths()[-1]) in msg
    assert "\n" not in msg


def _tiny_idx_set(folder: Path) -> None:
    """A learnable 10-class IDX set: class c is a bright 6x6 square at a class-specific place."""
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 256), ("t10k", 100)):
        labels = (np.arange(n) % 10).astype(np.uint8)
        images = rng.integers(0, 40, size=(n, 28, 28)).astype(np.uint8)
        for i, c in enumerate(labels):
            y, x = 2 + 8 * (c // 4), 2 + 6 * (c % 4)
            images[i, y : y + 6, x : x + 6] = 220
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)


def _train(*args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, str(SCRIPT), *args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_script_trains_an_mnist_net_that_the_mnist_extractor_finds(tmp_path):
    data = tmp_path / "idx"
    data.mkdir()
    _tiny_idx_set(data)
    # No --out: MNIST goes where the "mnist" extractor looks (the isolated test cache).
    done = _train("--dataset", "mnist", "--data-dir", str(data), "--epochs", "1",
                  "--batch-size", "64", "--min-accuracy", "0", "--threads", "1")  # fmt: skip
    assert done.returncode == 0, done.stderr
    path = mnist_weights_paths()[-1]
    assert path.is_file() and path.with_suffix(".json").is_file()

    ext = load_extractor("mnist")
    assert ext.name == "mnist" and ext.metadata["dataset"] == "mnist"
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (600, 1, 28, 28), generator=g, dtype=torch.uint8)
    labels = torch.arange(600) % 10
    out = evaluate(images[:300], images[300:], ["fid", "kid", "modes"], ext, n=300,
                   real_labels=labels[300:], dataset="mnist", split="test")  # fmt: skip
    # Scores on the MNIST classifier are FD-MNIST / KID-MNIST: never fid, never *_fmnist.
    assert {"fd_mnist", "kid_mnist", "kid_mnist_std", "classes_present"} <= set(out)
    assert not {"fid", "kid", "fd_fmnist", "kid_fmnist"} & set(out)
    assert out["protocol"]["extractor"] == "mnist"
    assert out["protocol"]["metric_names"]["fid"] == ["fd_mnist"]


def test_a_fashion_mnist_net_in_the_mnist_place_is_refused():
    path = mnist_weights_paths()[-1]
    path.parent.mkdir(parents=True)
    shutil.copy(DEFAULT_WEIGHTS, path)
    with pytest.raises(GanforgeError, match="classifier of 'fashion-mnist', not 'mnist'"):
        load_extractor("mnist")


def test_script_refuses_bad_input_in_one_line(tmp_path):
    done = _train("--dataset", "fashion-mnist")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "--out is required" in lines[0], done.stderr
    done = _train("--dataset", "mnist", "--data-dir", str(tmp_path), "--out", str(tmp_path / "x"))
    assert done.returncode == 2 and "must end in .safetensors" in done.stderr
    done = _train("--dataset", "mnist", "--data-dir", str(tmp_path))
    assert done.returncode == 2 and "missing train-images-idx3-ubyte" in done.stderr
    assert not mnist_weights_paths()[-1].exists()


def test_rgba_is_composited_and_other_channel_counts_refused():
    from ganforge.metrics.features import as_uint8_images

    rgba = torch.zeros(2, 4, 3, 3, dtype=torch.uint8)
    rgba[0, :3] = 100
    rgba[0, 3] = 255  # opaque: its own colour
    out = as_uint8_images(rgba, background=(10, 20, 30))  # image 1 transparent: the background
    assert out.shape == (2, 3, 3, 3)
    assert out[0].unique().tolist() == [100]
    assert out[1, :, 0, 0].tolist() == [10, 20, 30]
    with pytest.raises(GanforgeError, match=r"expected \(N, C, H, W\) with C = 1, 3 or 4"):
        as_uint8_images(torch.zeros(1, 2, 3, 3, dtype=torch.uint8))
