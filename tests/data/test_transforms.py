"""Vectorised resize and channel conversion against their Pillow references."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.data.transforms import conform, convert_channels, resize_images, rgb_to_gray


def _pil_resize(x: torch.Tensor, size: int) -> torch.Tensor:
    out = []
    for img in x.permute(0, 2, 3, 1).numpy():
        im = Image.fromarray(img[..., 0] if img.shape[-1] == 1 else img)
        a = np.asarray(im.resize((size, size), Image.Resampling.BILINEAR))
        out.append(a[..., None] if a.ndim == 2 else a)
    return torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2)


@pytest.mark.parametrize("src,dst,c", [(28, 32, 1), (28, 64, 1), (64, 28, 3), (100, 32, 3)])
def test_resize_matches_pillow_bilinear(src, dst, c):
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (16, c, src, src), generator=g, dtype=torch.uint8)
    ours = resize_images(x, dst, chunk=5)  # several chunks, including a short last one
    ref = _pil_resize(x, dst)
    assert ours.shape == (16, c, dst, dst) and ours.dtype == torch.uint8
    diff = (ours.int() - ref.int()).abs()
    assert diff.max() <= 1 and diff.float().mean() < 0.01


def test_resize_same_size_is_identity():
    x = torch.randint(0, 256, (2, 1, 8, 8), dtype=torch.uint8)
    assert resize_images(x, 8) is x


def test_resize_non_square_crops_centre():
    x = torch.zeros((1, 1, 10, 30), dtype=torch.uint8)
    x[..., 10:20] = 255  # the centre 10 x 10 square is white
    y = resize_images(x, 5)
    assert y.shape == (1, 1, 5, 5) and (y[..., 1:4, 1:4] == 255).all()


def test_gray_is_bit_identical_to_pillow():
    g = torch.Generator().manual_seed(1)
    x = torch.randint(0, 256, (4, 3, 16, 16), generator=g, dtype=torch.uint8)
    ref = np.stack(
        [np.asarray(Image.fromarray(a).convert("L")) for a in x.permute(0, 2, 3, 1).numpy()]
    )
    assert torch.equal(rgb_to_gray(x)[:, 0], torch.from_numpy(ref))


def test_channel_conversion():
    x = torch.randint(0, 256, (3, 1, 4, 4), dtype=torch.uint8)
    y = convert_channels(x, 3)
    assert y.shape == (3, 3, 4, 4) and all(torch.equal(y[:, i], x[:, 0]) for i in range(3))
    assert torch.equal(convert_channels(y, 1), x)  # grey RGB goes back exactly
    with pytest.raises(ValueError):
        convert_channels(torch.zeros((1, 2, 4, 4), dtype=torch.uint8), 3)


def test_conform():
    x = torch.randint(0, 256, (5, 3, 32, 32), dtype=torch.uint8)
    assert conform(x, 16, 1).shape == (5, 1, 16, 16)
    assert conform(x[:, :1], 64, 3).shape == (5, 3, 64, 64)
