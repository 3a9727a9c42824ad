"""ganforge.evaluation: names and defaults, real-data ids, sampling, protocol hashes, scoring."""

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


# --------------------------------------------------------------------------- names and defaults


def test_parse_metrics_accepts_aliases_keeps_order_and_drops_repeats():
    assert ev.parse_metrics("fd_fmnist, KID,pr,fd") == ["fid", "kid", "pr"]
    assert ev.parse_metrics(["fd_mnist", "coverage", "classes"]) == ["fid", "dc", "modes"]
    with pytest.raises(GanforgeError, match="did you mean 'kid'"):
        ev.parse_metrics("kdi")
    with pytest.raises(GanforgeError, match="no metric given"):
        ev.parse_metrics(" , ")


def test_features_default_to_the_data_sets_own_classifier():
    assert ev.resolve_features("auto", "fashion-mnist") == "fmnist"
    assert ev.resolve_features(None, "mnist") == "mnist"
    assert ev.resolve_features("", "cifar10") == "inception"
    assert ev.resolve_features("auto", "folder:/x") == "inception"
    assert ev.resolve_features("inception", "fashion-mnist") == "inception"
    with pytest.raises(GanforgeError, match="did you mean 'mnist'"):
        ev.resolve_features("mnst", "mnist")


def test_default_metrics_add_class_coverage_only_where_the_classifier_fits():
    assert ev.default_metrics("fashion-mnist", "fmnist") == [
        "fid",
        "kid",
        "is",
        "pr",
        "dc",
        "modes",
    ]
    assert "modes" not in ev.default_metrics("fashion-mnist", "inception")
    assert ev.default_metrics("mnist", "mnist")[-1] == "modes"
    assert "modes" not in ev.default_metrics("mnist", "fmnist")
    assert ev.default_metrics("toy-ring", "") == ev.auto_metrics("toy-grid", "") == ["modes"]
    assert ev.auto_metrics("fashion-mnist", "fmnist") == ["fid", "modes"]
    assert ev.auto_metrics("cifar10", "inception") == ["fid"]


def test_reported_names_follow_the_extractor():
    assert ev.reported_names(["fid", "kid"], "fmnist") == [
        "fd_fmnist",
        "kid_fmnist",
        "kid_fmnist_std",
    ]
    assert ev.reported_names(["fid", "is"], "mnist") == [
        "fd_mnist",
        "classifier_score",
        "classifier_score_std",
    ]
    assert ev.reported_names(["fid", "is"], "inception") == ["fid", "is", "is_std"]
    assert ev.reported_names(["modes"], "fmnist") == [
        "classes_present",
        "class_kl",
        "mode_collapse",
    ]
    assert ev.reported_names(["modes"], "", toy=True) == ["modes_covered", "high_quality_fraction"]


def test_every_headline_value_has_a_direction_and_a_display_name():
    for features in ("fmnist", "mnist", "inception"):
        for key in ("fid", "kid", "is", "pr", "dc"):
            head = ev.reported_names([key], features)[0]
            assert ev.direction(head) in ("min", "max")
    assert ev.direction("fd_mnist") == "min" and ev.direction("recall") == "max"
    with pytest.raises(GanforgeError, match="cannot rank checkpoints"):
        ev.direction("d_loss")
    assert ev.display_name("fd_fmnist") == "FD-FMNIST" and ev.display_name("fd_mnist") == "FD-MNIST"
    assert ev.display_name("fid") == "FID" and ev.display_name("kid_mnist") == "KID-MNIST"


def test_feature_dims_match_the_networks():
    # FEATURE_DIMS lets configs be checked before any network is loaded; it must not drift.
    from ganforge.metrics.inception import FIDInceptionV3

    assert (
        ev.FEATURE_DIMS["fmnist"]
        == ev.FEATURE_DIMS["mnist"]
        == load_extractor("fmnist").feature_dim
    )
    assert ev.FEATURE_DIMS["inception"] == FIDInceptionV3().fc.in_features
    assert set(ev.FEATURE_DIMS) == set(ev.FEATURES) - {"auto"}


def test_up_front_checks():
    ev.check_modes(["fid", "modes"], "fmnist", "fashion-mnist")
    with pytest.raises(GanforgeError, match="drop modes"):
        ev.check_modes(["modes"], "inception", "fashion-mnist")
    with pytest.raises(GanforgeError, match="drop modes"):
        ev.check_modes(["modes"], "fmnist", "mnist")
    ev.check_sample_count(["fid"], 257, 256)
    ev.check_sample_count(["kid", "pr"], 10, 256)  # only the Frechet distance needs N > D
    with pytest.raises(GanforgeError, match="--n=257 or more"):
        ev.check_sample_count(["fid"], 256, 256, "--n")


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


# --------------------------------------------------------------------------- protocol and scoring


def test_protocol_hash_ignores_what_was_scored_not_how():
    base = {"extractor": "fmnist", "n_fake": 300, "seed": 0, "settings": {"pr_k": 3}}
    h = ev.protocol_hash(base)
    assert len(h) == 12
    assert ev.protocol_hash({**base, "run": "runs/a", "checkpoint": "x", "images_seen": 5}) == h
    assert ev.protocol_hash({**base, "seed": 1}) != h
    assert ev.protocol_hash({**base, "n_fake": np.int64(300)}) == h  # numpy scalars are JSON


def test_jsonable_and_table():
    assert ev.jsonable({"a": np.float32(0.5), "b": (1, np.arange(2)), 3: True}) == {
        "a": 0.5,
        "b": [1, [0, 1]],
        "3": True,
    }
    table = ev.format_table(
        {
            "fd_fmnist": 12.3456,
            "kid_fmnist": 0.000123,
            "kid_fmnist_std": 0.00002,
            "classes_present": 9,
            "num_classes": 10,
            "mode_collapse": False,
            "class_histogram": [1, 2],
        }
    )
    assert "FD-FMNIST" in table and "12.35" in table and "1.230e-04 +- 2.000e-05" in table
    assert "9 / 10" in table and "no" in table and "histogram" not in table


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
    from ganforge.data.toy import ring_centers

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
    from ganforge.data.idx import read_idx

    folder = Path(ganforge.__file__).parent / "data" / "embedded"
    images = read_idx(folder / "t10k-images-idx3-ubyte.gz")[:600]
    labels = read_idx(folder / "t10k-labels-idx1-ubyte.gz")[:600]
    return torch.from_numpy(images).unsqueeze(1), torch.from_numpy(labels.astype(np.int64))
