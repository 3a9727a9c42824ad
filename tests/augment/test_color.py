"""apply_color_matrix against a per-pixel computation; alpha and grayscale handling."""

import pytest
import torch

from ganforge.augment.color import apply_color_matrix


def _matrices(b, seed=0):
    m = torch.eye(4).repeat(b, 1, 1)
    m[:, :3, :] += 0.3 * torch.randn(b, 3, 4, generator=torch.Generator().manual_seed(seed))
    return m


def test_rgb_matches_per_pixel_homogeneous_product():
    x = torch.rand(2, 3, 5, 6) * 2 - 1
    m = _matrices(2)
    out = apply_color_matrix(x, m)
    for i in range(2):
        for r in range(5):
            for c in range(6):
                v = torch.cat([x[i, :, r, c], torch.ones(1)])
                torch.testing.assert_close(out[i, :, r, c], (m[i] @ v)[:3])


def test_rgba_alpha_passes_untouched():
    x = torch.rand(2, 4, 7, 9) * 2 - 1
    m = _matrices(2)
    out = apply_color_matrix(x, m)
    assert torch.equal(out[:, 3], x[:, 3])
    torch.testing.assert_close(out[:, :3], apply_color_matrix(x[:, :3], m))


def test_grayscale_is_the_mean_of_the_rgb_result_on_grey_pixels():
    # The reference's rule, checked independently: l -> mean_k (C (l, l, l, 1))_k.
    x = torch.rand(2, 1, 5, 6) * 2 - 1
    m = _matrices(2)
    rgb = apply_color_matrix(x.expand(2, 3, 5, 6), m)
    torch.testing.assert_close(apply_color_matrix(x, m), rgb.mean(dim=1, keepdim=True))


@pytest.mark.parametrize("c", [2, 5])
def test_rejects_unsupported_channel_counts(c):
    with pytest.raises(ValueError, match="C in 1, 3, 4"):
        apply_color_matrix(torch.zeros(1, c, 4, 4), torch.eye(4)[None])
