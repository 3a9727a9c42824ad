"""evaluate(): names per extractor, the protocol record, known answers and clear errors."""

import pytest
import torch

import ganforge
from ganforge.errors import GanforgeError
from ganforge.metrics.features import load_extractor
from ganforge.metrics.reference import compute_reference
from ganforge.metrics.registry import METRICS, evaluate


@pytest.fixture(scope="module")
def fmnist():
    return load_extractor("fmnist")


def test_all_metrics_on_real_splits_with_fmnist_names(fmnist, fmnist_test):
    images, labels = fmnist_test
    fake, real = images[:600], images[600:1400]
    out = evaluate(
        fake,
        real,
        list(METRICS),
        fmnist,
        n=800,
        seed=0,
        real_labels=labels[600:1400],
        dataset="fashion-mnist",
        split="test",
    )
    assert {"fd_fmnist", "kid_fmnist", "classifier_score", "precision", "recall"} <= out.keys()
    assert "fid" not in out and "is" not in out
    # Two parts of the same split: small distance (FD is biased upwards at small N: ~9 at
    # 600 vs 800, ~1.4 at 5k vs 5k), high precision/recall, every class present.
    assert 0 <= out["fd_fmnist"] < 20 and out["precision"] > 0.6 and out["recall"] > 0.6
    assert out["classes_present"] == 10 and not out["mode_collapse"]
    assert out["classifier_score"] > 5
    p = out["protocol"]
    assert p["extractor"] == "fmnist" and p["weights_sha256"] == fmnist.weights_sha256
    assert (p["n_fake"], p["n_real"]) == (600, 800)
    assert p["dataset"] == "fashion-mnist" and p["split"] == "test" and p["seed"] == 0
    assert p["ganforge_version"] == ganforge.__version__ and len(p["reference_sha256"]) == 64
    assert p["metric_names"]["fid"] == ["fd_fmnist"] and "resize" in p and "quantisation" in p


def test_noise_is_far_from_real_data(fmnist, fmnist_test):
    noise = torch.randint(0, 256, (400, 1, 28, 28), generator=torch.Generator().manual_seed(0))
    out = evaluate(noise.byte(), fmnist_test[0][:400], ["fid", "pr", "dc"], fmnist)
    assert out["fd_fmnist"] > 100 and out["recall"] == 0.0 and out["coverage"] < 0.05
    # Not asserted: precision is ~0.97 here. Noise maps to one tight feature cluster that falls
    # inside the inflated k-NN ball of a few real outliers: the weakness of improved precision
    # that density/coverage (Naeem et al. 2020) fix; it shrinks as the real sample grows.
    assert out["density"] < 0.5


def test_set_against_itself(fmnist, fmnist_test):
    x = fmnist_test[0][:400]
    out = evaluate(x, x, ["fid", "pr", "dc"], fmnist, n=400)
    assert abs(out["fd_fmnist"]) < 1e-6
    assert out["precision"] == 1.0 and out["recall"] == 1.0 and out["coverage"] == 1.0


def test_cached_reference_gives_the_same_numbers(fmnist, fmnist_test):
    images = fmnist_test[0]
    ref = compute_reference(images[1000:1600], fmnist, "fashion-mnist", "test", n=600)
    a = evaluate(images[:500], ref, ["fid", "kid"], fmnist)
    b = evaluate(images[:500], images[1000:1600], ["fid", "kid"], fmnist)
    assert a["fd_fmnist"] == pytest.approx(b["fd_fmnist"], rel=1e-9)
    assert a["protocol"]["reference_sha256"] == b["protocol"]["reference_sha256"]
    assert a["protocol"]["reference_key"] == ref.meta["key"]


def test_different_image_sizes_are_a_clear_error(fmnist, fmnist_test):
    real = fmnist_test[0][:300]
    fake = torch.zeros(300, 1, 32, 32, dtype=torch.uint8)
    with pytest.raises(GanforgeError, match=r"fake images are \(1, 32, 32\).*\(1, 28, 28\)"):
        evaluate(fake, real, ["fid"], fmnist)


def test_fewer_samples_than_feature_dims_is_a_clear_error(fmnist, fmnist_test):
    x = fmnist_test[0]
    with pytest.raises(GanforgeError, match="more samples than feature dimensions"):
        evaluate(x[:100], x[100:200], ["fid"], fmnist)


def test_unknown_metric_and_missing_labels(fmnist, fmnist_test):
    x = fmnist_test[0][:50]
    with pytest.raises(GanforgeError, match="unknown metrics"):
        evaluate(x, x, ["fid", "lpips"], fmnist)
    with pytest.raises(GanforgeError, match="real_labels"):
        evaluate(x, x, ["modes"], fmnist)


def test_reference_without_image_shape_is_refused(fmnist, fmnist_test):
    from ganforge.metrics.reference import reference_from_features

    images = fmnist_test[0]
    feats = fmnist.extract(images[:300])["pool"]
    meta = {"extractor": fmnist.protocol}  # no image_shape: nothing to check the fakes against
    ref = reference_from_features(feats, None, meta)
    with pytest.raises(GanforgeError, match="image_shape"):
        evaluate(images[300:600], ref, ["fid"], fmnist)


def test_kid_subsets_and_seeds_are_recorded(fmnist, fmnist_test):
    images = fmnist_test[0]
    out = evaluate(images[:300], images[300:700], ["kid", "is"], fmnist, n=400)
    settings = out["protocol"]["settings"]
    # 300 fakes: subsets of 150 (half the smaller side), torch-fidelity's rng_seed 2020.
    assert settings["kid_subset_size"] == 150 and settings["subset_seed"] == 2020
    assert out["kid_fmnist_std"] > 0
    # The sample seed picks the images, not the KID subsets or IS splits: with every image used
    # on both sides, another seed gives the same numbers.
    again = evaluate(images[:300], images[300:600], ["kid", "is"], fmnist, n=300, seed=5)
    first = evaluate(images[:300], images[300:600], ["kid", "is"], fmnist, n=300, seed=0)
    assert again["kid_fmnist"] == pytest.approx(first["kid_fmnist"], rel=1e-6)
    assert again["classifier_score"] == pytest.approx(first["classifier_score"], rel=1e-6)


class _ChannelMeans(torch.nn.Module):
    """A stand-in feature network: per-channel means and a ramp, (B, 4) features (no weights)."""

    def forward(self, images):
        x = images.float()
        means = x.mean(dim=(2, 3))  # (B, C)
        pool = torch.cat(
            [means, means.sum(1, keepdim=True).sin(), x.std(dim=(1, 2, 3))[:, None]], 1
        )
        return {"pool": pool, "logits": pool}


def _stub(name: str = "lite1", fd_min: int | None = 50):
    from ganforge.metrics.features import Extractor

    return Extractor(name, _ChannelMeans(), "0" * 64, "none", 4, fd_min_samples=fd_min)


def _rgb(n: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, 3, 6, 6), generator=g).to(torch.uint8)


def test_fd_under_the_measured_minimum_is_refused_in_one_line_and_kid_is_given():
    ext = _stub()
    with pytest.raises(GanforgeError) as e:
        evaluate(_rgb(30, 0), _rgb(40, 1), ["fid"], ext)
    msg = str(e.value)
    assert msg.startswith("FD-Lite1 refused for 30 fake and 40 real images: below 50 samples")
    assert "KID (unbiased at any n)" in msg and "\n" not in msg
    out = evaluate(_rgb(30, 0), _rgb(40, 1), ["kid"], ext)
    assert "kid_lite1" in out and out["protocol"]["fd_min_samples"] == 50
    assert evaluate(_rgb(60, 0), _rgb(60, 1), ["fid"], ext)["fd_lite1"] >= 0  # at the minimum


def test_rgba_is_composited_onto_the_background_and_the_protocol_says_so():
    ext = _stub()
    rgb = _rgb(8, 0)
    transparent = torch.cat([rgb, torch.zeros_like(rgb[:, :1])], 1)  # alpha 0: the background
    white = torch.full_like(rgb, 255)
    out = evaluate(transparent, white, ["kid"], ext)
    assert out["kid_lite1"] == pytest.approx(0.0, abs=1e-9)  # same images once composited
    assert out["protocol"]["rgba"] == "alpha composited onto RGB [255, 255, 255]"
    black = evaluate(transparent, white, ["kid"], ext, background=(0, 0, 0))
    assert black["kid_lite1"] > 0 and black["protocol"]["rgba"].endswith("[0, 0, 0]")
    assert "rgba" not in evaluate(rgb, white, ["kid"], ext)["protocol"]  # RGB: nothing to say


def test_imagenet_features_know_no_data_set_classes():
    x = _rgb(8, 0)
    with pytest.raises(GanforgeError, match="needs a classifier of the data set's classes"):
        evaluate(x, x, ["modes"], _stub(), real_labels=torch.zeros(8, dtype=torch.long))
