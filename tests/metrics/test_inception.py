"""FID Inception: the weight-file format and loading path, run on a random-weight file.

The real 95 MB file is not downloaded in tests; a state dict with the same names and shapes goes
through the same torch.load(weights_only=True) path with the checksum check explicitly disabled.
"""

import urllib.error
import urllib.request

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics import inception
from ganforge.metrics.features import load_extractor, sha256_file
from ganforge.metrics.inception import (
    WEIGHTS_FILE,
    WEIGHTS_SHA256,
    FIDInceptionV3,
    inception_weights_path,
    load_inception,
    resize_bilinear_tf1,
)


@pytest.fixture(autouse=True)
def _downloads_allowed(monkeypatch):
    # Downloads here come from a server on 127.0.0.1 (or an unreachable address) only.
    monkeypatch.delenv("GANFORGE_OFFLINE", raising=False)


@pytest.fixture(scope="module")
def random_weights(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("inception") / WEIGHTS_FILE
    torch.save(FIDInceptionV3().state_dict(), path)
    return path


def test_state_dict_names_and_shapes_match_the_published_file(random_weights):
    state = torch.load(random_weights, weights_only=True)
    # 94 conv+BN units x 6 entries + fc weight and bias = the 566 entries of the published file.
    assert len(state) == 566
    assert state["Conv2d_1a_3x3.conv.weight"].shape == (32, 3, 3, 3)
    assert state["Mixed_5b.branch_pool.conv.weight"].shape == (32, 192, 1, 1)
    assert state["Mixed_6e.branch7x7dbl_5.conv.weight"].shape == (192, 192, 1, 7)
    assert state["Mixed_7c.branch3x3dbl_3b.bn.running_var"].shape == (384,)
    assert state["fc.weight"].shape == (1008, 2048) and state["fc.bias"].shape == (1008,)
    assert not any(k.startswith("AuxLogits") for k in state)


def test_forward_shapes_through_the_extractor(random_weights):
    ext = load_extractor("inception", weights=random_weights, expected_sha256=None)
    images = torch.randint(0, 256, (2, 1, 28, 28), dtype=torch.uint8)
    out = ext.extract(images, batch_size=2)
    assert out["pool"].shape == (2, 2048)
    assert out["logits"].shape == (2, 1008) and out["logits_unbiased"].shape == (2, 1008)
    assert ext.weights_sha256 == sha256_file(random_weights)
    assert ext.protocol["extractor"] == "inception" and "TF1 bilinear" in ext.protocol["resize"]


def test_checksum_mismatch_is_refused_by_default(random_weights):
    with pytest.raises(GanforgeError, match="SHA-256"):
        load_inception(random_weights)  # expected_sha256 defaults to the published hash


def test_corrupt_and_mismatched_files_are_clear_errors(random_weights, tmp_path):
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"\x00" * 1000)
    with pytest.raises(GanforgeError, match="not a readable PyTorch state dict"):
        load_inception(garbage, expected_sha256=None)
    state = torch.load(random_weights, weights_only=True)
    del state["fc.bias"]
    state["fc.weight"] = torch.zeros(1000, 2048)  # torchvision's 1000-way head: wrong model
    wrong = tmp_path / "wrong.pth"
    torch.save(state, wrong)
    with pytest.raises(GanforgeError, match=r"missing \['fc.bias'\].*fc.weight"):
        load_inception(wrong, expected_sha256=None)


def test_offline_download_names_the_file_and_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("GANFORGE_CACHE", str(tmp_path))

    def offline(*args, **kwargs):
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(GanforgeError) as err:
        inception_weights_path()
    assert WEIGHTS_FILE in str(err.value) and str(tmp_path) in str(err.value)
    assert not list(tmp_path.iterdir())  # no partial file left behind
    assert WEIGHTS_SHA256.startswith(WEIGHTS_FILE.split("-")[-1].split(".")[0])


def _tf1_resize_loop(x: torch.Tensor, size: int) -> torch.Tensor:
    # TF1 resize_bilinear(align_corners=False), pixel by pixel from its definition.
    n, c, h, w = x.shape
    out = torch.empty(n, c, size, size, dtype=torch.float64)
    for i in range(size):
        sy = i * h / size
        y0, fy = int(sy), sy - int(sy)
        y1 = min(y0 + 1, h - 1)
        for j in range(size):
            sx = j * w / size
            x0, fx = int(sx), sx - int(sx)
            x1 = min(x0 + 1, w - 1)
            top = x[:, :, y0, x0] * (1 - fx) + x[:, :, y0, x1] * fx
            bottom = x[:, :, y1, x0] * (1 - fx) + x[:, :, y1, x1] * fx
            out[:, :, i, j] = top * (1 - fy) + bottom * fy
    return out


def test_resize_matches_the_tf1_definition():
    x = torch.randint(0, 256, (2, 3, 5, 7)).double()
    got = resize_bilinear_tf1(x.float(), 13).double()
    assert torch.allclose(got, _tf1_resize_loop(x, 13), atol=1e-3)
    # ...and differs from PyTorch's half-pixel bilinear, which is why it exists.
    half_pixel = torch.nn.functional.interpolate(x, size=13, mode="bilinear", align_corners=False)
    assert not torch.allclose(got, half_pixel.float().double(), atol=1.0)


def test_resize_keeps_constants_and_is_identity_at_299():
    flat = torch.full((1, 1, 28, 28), 77.0)
    assert torch.equal(resize_bilinear_tf1(flat, 299), torch.full((1, 1, 299, 299), 77.0))
    x = torch.rand(1, 1, 299, 299)
    assert torch.equal(resize_bilinear_tf1(x, inception.INPUT_SIZE), x)


def test_evaluate_names_inception_results_fid_and_is(random_weights):
    from ganforge.metrics.registry import evaluate, reported_names

    assert reported_names("inception")["fid"] == ["fid"]
    assert reported_names("inception")["is"] == ["is", "is_std"]
    ext = load_extractor("inception", weights=random_weights, expected_sha256=None)
    g = torch.Generator().manual_seed(0)
    fake = torch.randint(0, 256, (4, 3, 32, 32), generator=g, dtype=torch.uint8)
    real = torch.randint(0, 256, (4, 3, 32, 32), generator=g, dtype=torch.uint8)
    out = evaluate(fake, real, ["pr"], ext, n=4)
    assert 0 <= out["precision"] <= 1 and out["protocol"]["extractor"] == "inception"
    assert out["protocol"]["metric_names"] == {"pr": ["precision", "recall"]}
