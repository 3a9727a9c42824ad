"""inference/encoder.py: the encode use of a trained autoencoder, its preparation and export."""

from __future__ import annotations

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.inference.encoder import Encoder
from ganforge.metrics.near_duplicates import center_by_mass
from ganforge.models.autoencoder import MLPAutoencoder


def _encoder(center: bool = False) -> Encoder:
    torch.manual_seed(0)
    ae = MLPAutoencoder((1, 8, 8), [6], noise_std=0.5, dropout=0.5).eval()
    return Encoder(ae.requires_grad_(False), center=center)


def _images(n: int = 5) -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    return torch.randint(0, 256, (n, 1, 8, 8), generator=g, dtype=torch.uint8)


def test_its_one_use_is_encode_and_codes_are_deterministic():
    enc = _encoder()
    assert enc.uses == {"encode": ("image",)} and enc.describe() == "encoder"
    assert enc.require("encode") is enc and enc.module is enc.autoencoder.encoder
    x = _images()
    a, b = enc.encode(x), enc.encode(x, batch=2)
    assert a.shape == (5, 6) and a.dtype == torch.float32 and a.min() >= 0
    torch.testing.assert_close(a, b)  # no noise, no dropout, batch-independent
    expect = enc.autoencoder.encode(x.float() / 127.5 - 1)
    torch.testing.assert_close(a, expect)
    assert enc.encode(x[:0]).shape == (0, 6)


def test_centred_runs_centre_before_encoding():
    enc = _encoder(center=True)
    x = _images()
    torch.testing.assert_close(enc.encode(x), _encoder().encode(center_by_mass(x)))
    torch.testing.assert_close(enc.encode(center_by_mass(x), prepared=True), enc.encode(x))


def test_reconstruct_gives_the_prepared_inputs_and_uint8_outputs():
    enc = _encoder()
    x = _images()
    prepared, recon = enc.reconstruct(x)
    assert torch.equal(prepared, x) and recon.dtype == torch.uint8 and recon.shape == x.shape
    decoded = enc.autoencoder.decode(enc.autoencoder.encode(x.float() / 127.5 - 1))
    assert (recon.float() - (decoded + 1) * 127.5).abs().max() <= 0.5 + 1e-4


@pytest.mark.parametrize(
    "images, message",
    [
        (
            torch.zeros(2, 3, 8, 8, dtype=torch.uint8),
            r"do not fit this autoencoder, which encodes 1x8x8",
        ),
        (torch.zeros(2, 1, 8, 8), "encode takes uint8"),
    ],
)
def test_images_of_another_shape_are_one_line(images, message):
    with pytest.raises(GanforgeError, match=message):
        _encoder().encode(images)


def test_export_spec_is_the_encoder_with_its_json():
    enc = _encoder(center=True)
    spec = enc.export_spec()
    assert spec.input_names == ["image"] and spec.output_name == "code"
    (x,) = spec.example
    torch.testing.assert_close(spec.module(x), enc.autoencoder.encode(x))
    assert spec.config["output"] == {"name": "code", "shape": ["batch", 6]}
    assert spec.config["center"] is True and "center_by_mass" in spec.config["prepare"]
    assert spec.net is enc.autoencoder  # the safetensors export rebuilds the whole autoencoder
    assert [p[0].shape[0] for p in spec.probes] == [1, 3]


def test_infer_is_encode_and_the_image_input_has_the_run_size():
    enc = _encoder()
    x = _images()
    torch.testing.assert_close(enc.infer("encode", {"image": x}), enc.encode(x))
    assert enc.input_info("image") == {"channels": 1, "size": (8, 8), "background": "white"}
    assert enc.input_info("z") == {}
