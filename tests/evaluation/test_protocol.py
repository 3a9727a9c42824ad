"""evaluation/protocol.py: metric names and aliases, feature defaults, directions, the up-front
checks, protocol hashes, JSON conversion and the result table."""

from __future__ import annotations

import numpy as np
import pytest

from ganforge import evaluation as ev
from ganforge.errors import GanforgeError
from ganforge.metrics.features import load_extractor


def test_parse_metrics_accepts_aliases_keeps_order_and_drops_repeats():
    assert ev.parse_metrics("fd_fmnist, KID,pr,fd") == ["fid", "kid", "pr"]
    assert ev.parse_metrics(["fd_mnist", "coverage", "classes"]) == ["fid", "dc", "modes"]
    with pytest.raises(GanforgeError, match="did you mean 'kid'"):
        ev.parse_metrics("kdi")
    with pytest.raises(GanforgeError, match="no metric given"):
        ev.parse_metrics(" , ")


def test_features_default_to_the_data_sets_own_classifier_else_lite1():
    assert ev.resolve_features("auto", "fashion-mnist") == "fmnist"
    assert ev.resolve_features(None, "mnist") == "mnist"
    assert ev.resolve_features("auto", "folder:/x") == "lite1"  # any folder, offline
    assert ev.resolve_features("inception", "fashion-mnist") == "inception"
    assert ev.resolve_features("lite1", "fashion-mnist") == "lite1"
    with pytest.raises(GanforgeError, match="did you mean 'mnist'"):
        ev.resolve_features("mnst", "mnist")
    with pytest.raises(GanforgeError, match="use fmnist, mnist, inception or lite1"):
        ev.resolve_features("efficientnet", "mnist")


def test_cifar10_keeps_inception_fid_where_its_weights_are_cached_and_says_so():
    # The test cache is empty: no Inception weights, so CIFAR-10 gets lite1 and a note why.
    assert not ev.inception_cached()
    assert ev.resolve_features("", "cifar10") == "lite1"
    note = ev.features_note("lite1", "cifar10")
    assert note.startswith("note: the FID Inception weights are not in ")
    assert "FD-Lite1, not comparable with published FIDs" in note
    assert ev.features_note("lite1", "folder:/x") is None  # nothing surprising there
    path = ev.inception_cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")  # present (its checksum is the loader's business)
    assert ev.resolve_features("auto", "cifar10") == "inception"
    assert ev.resolve_features("auto", "folder:/x") == "lite1"


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
    assert ev.default_metrics("folder:x", "lite1") == ["fid", "kid", "is", "pr", "dc"]
    assert ev.auto_metrics("folder:x", "lite1") == ["fid"]


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
    assert ev.reported_names(["fid", "kid"], "lite1") == ["fd_lite1", "kid_lite1", "kid_lite1_std"]
    assert ev.reported_names(["modes"], "fmnist") == [
        "classes_present",
        "class_kl",
        "mode_collapse",
    ]
    assert ev.reported_names(["modes"], "", toy=True) == ["modes_covered", "high_quality_fraction"]


def test_every_headline_value_has_a_direction_and_a_display_name():
    for features in ("fmnist", "mnist", "inception", "lite1"):
        for key in ("fid", "kid", "is", "pr", "dc"):
            head = ev.reported_names([key], features)[0]
            assert ev.direction(head) in ("min", "max")
    assert ev.direction("fd_mnist") == "min" and ev.direction("recall") == "max"
    with pytest.raises(GanforgeError, match="cannot rank checkpoints"):
        ev.direction("d_loss")
    assert ev.display_name("fd_fmnist") == "FD-FMNIST" and ev.display_name("fd_mnist") == "FD-MNIST"
    assert ev.display_name("fid") == "FID" and ev.display_name("kid_mnist") == "KID-MNIST"
    assert ev.display_name("fd_lite1") == "FD-Lite1" and ev.display_name("kid_lite1") == "KID-Lite1"
    assert ev.parse_metrics("fd_lite1,kid_lite1,fd-lite1") == ["fid", "kid"]


def test_feature_dims_match_the_networks():
    # FEATURE_DIMS lets configs be checked before any network is loaded; it must not drift.
    from ganforge.backbones.efficientnet_lite import EfficientNetLite
    from ganforge.metrics.imagenet import FD_MIN_SAMPLES
    from ganforge.metrics.inception import FIDInceptionV3

    assert (
        ev.FEATURE_DIMS["fmnist"]
        == ev.FEATURE_DIMS["mnist"]
        == load_extractor("fmnist").feature_dim
    )
    assert ev.FEATURE_DIMS["inception"] == FIDInceptionV3().fc.in_features
    assert ev.FEATURE_DIMS["lite1"] == EfficientNetLite("lite1")._fc.in_features
    assert ev.fd_minimum("lite1") == FD_MIN_SAMPLES and ev.fd_minimum("fmnist") == 257
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
    ev.check_sample_count(["fid"], 2000, 1280, minimum=2000)
    with pytest.raises(GanforgeError, match="below 2,000 samples per side its upward bias"):
        ev.check_sample_count(["fid"], 1999, 1280, minimum=2000)


def test_fd_under_its_minimum_leaves_the_defaults_with_a_note_or_is_refused_by_name():
    low = ev.fd_minimum("lite1") - 1
    kept, note = ev.drop_fd_if_too_few(["fid", "kid", "pr"], low, "lite1", explicit=False)
    assert kept == ["kid", "pr"]
    assert note.startswith(f"note: FD-Lite1 left out at --n={low:,}: below {low + 1:,} samples")
    assert note.endswith("the other metrics are scored") and "\n" not in note
    same, none = ev.drop_fd_if_too_few(["fid", "kid"], low + 1, "lite1", explicit=False)
    assert same == ["fid", "kid"] and none is None
    with pytest.raises(GanforgeError, match=f"^FD-Lite1 refused at {low:,} images per side: "):
        ev.drop_fd_if_too_few(["fid", "kid"], low, "lite1", explicit=True, what="images per side")
    with pytest.raises(GanforgeError, match="drop fd from the metrics$"):
        ev.drop_fd_if_too_few(["fid"], 10, "lite1", explicit=False)  # FD alone: nothing left
    # Extractors without a measured minimum keep refusing n <= D, defaults or not.
    with pytest.raises(GanforgeError, match="needs more than 256 samples per side"):
        ev.drop_fd_if_too_few(["fid", "kid"], 20, "fmnist", explicit=False)


def test_protocol_hash_ignores_what_was_scored_not_how():
    base = {"extractor": "fmnist", "n_fake": 300, "seed": 0, "settings": {"pr_k": 3}}
    h = ev.protocol_hash(base)
    assert len(h) == 12
    assert ev.protocol_hash({**base, "run": "runs/a", "checkpoint": "x", "images_seen": 5}) == h
    # how the scored model was trained is recorded, not a different measurement
    assert ev.protocol_hash({**base, "discriminator_features": "ImageNet: Lite0"}) == h
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
