"""demo/uploads.py: uploads are bounded and decoded like files on disk; every refusal is one line
that names the upload, never the temporary file."""

from __future__ import annotations

import base64

import numpy as np
import pytest
import torch

from ganforge.demo import uploads
from ganforge.demo.uploads import read_upload_image, read_upload_mask, upload_bytes
from ganforge.errors import GanforgeError
from tiny_demo import data_url


def _refused(call, message):
    with pytest.raises(GanforgeError, match=message) as e:
        call()
    text = str(e.value)
    assert "\n" not in text and "ganforge-demo-" not in text and "/tmp" not in text, text
    return text


def test_an_image_keeps_its_size_or_takes_the_models():
    rgba = np.zeros((6, 10, 4), np.uint8)
    rgba[..., 0], rgba[..., 3] = 200, 255
    rgba[0, 0, 3] = 0  # transparent: composited on the background
    x = read_upload_image(data_url(rgba), channels=1)
    assert x.shape == (1, 6, 10) and x.dtype == torch.uint8 and int(x[0, 0, 0]) == 255
    assert int(x[0, 1, 1]) == round(0.299 * 200)  # luma of (200, 0, 0)
    fixed = read_upload_image(data_url(np.full((30, 20), 77, np.uint8)), 3, size=(8, 8))
    assert fixed.shape == (3, 8, 8) and int(fixed.min()) == int(fixed.max()) == 77
    jpeg = read_upload_image(data_url(np.full((9, 9, 3), 128, np.uint8), "JPEG"), 3)
    assert jpeg.shape == (3, 9, 9)


@pytest.mark.parametrize(
    "value, message",
    [
        (None, "no image was uploaded: choose a file"),
        ("", "no image was uploaded"),
        ("hello", r"the image upload is not a base64 data URL \(data:image/png;base64,...\)"),
        ("data:image/png;base64,@@@@", "the image upload is not valid base64"),
        ("data:image/png;base64,", "the image file is empty"),
        (
            "data:text/plain;base64," + base64.b64encode(b"not an image at all").decode(),
            r"cannot read the image upload: not a readable image \(unknown or corrupt format\)",
        ),
        (
            "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 40).decode(),
            "cannot read the image upload: ",
        ),
    ],
)
def test_what_is_not_an_image_is_one_line(value, message):
    _refused(lambda: read_upload_image(value, 1), message)


def test_uploads_are_bounded_in_bytes_and_in_pixels(monkeypatch):
    big = np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8)
    monkeypatch.setattr(uploads, "MAX_UPLOAD_BYTES", 1024)
    _refused(lambda: upload_bytes(data_url(big), "image"), "over the 0 MB upload limit")
    monkeypatch.undo()
    _refused(
        lambda: read_upload_image(data_url(big), 1, max_pixels=1000),
        r"64x64 = 0.0041 MP is over the 0.001 MP limit",
    )


def test_a_mask_is_white_where_missing_and_must_fit_its_image():
    m = np.zeros((5, 7), np.uint8)
    m[1:3, 2:5] = 255
    m[4, 6] = 127  # just below half: known
    mask = read_upload_mask(data_url(m), (5, 7))
    assert mask.shape == (1, 5, 7) and mask.dtype == torch.float32
    assert torch.equal(mask[0].bool(), torch.from_numpy(m >= 128))
    _refused(
        lambda: read_upload_mask(data_url(m), (8, 8)),
        "mask upload is 7x5 pixels but its image is 8x8: a mask must have its image's size",
    )
    _refused(lambda: read_upload_mask(data_url(255 + 0 * m), (5, 7)), "mask upload is all white")
    _refused(lambda: read_upload_mask("data:image/png;base64,AAAA", (5, 7)), "mask upload: ")
