"""models/inpainting_tiling.py: any size in, the same size out; tiles equal the whole pass; the
known pixels come back bit for bit."""

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.models.inpainting import GatedGenerator, PartialConvUNet
from ganforge.models.inpainting_tiling import inpaint_any_size, pad_to_multiple, run_tiled


def _net(kind: str) -> torch.nn.Module:
    torch.manual_seed(0)
    if kind == "gated":
        return GatedGenerator(3, width=4, dilations=(2,)).eval()  # context 41, multiple 4
    return PartialConvUNet(3, width=4, depth=3).eval()  # context 29, multiple 8


def _inputs(h: int, w: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    x = torch.rand(2, 3, h, w, generator=g) * 2 - 1
    m = (torch.rand(2, 1, h, w, generator=g) < 0.3).float()
    return x, m


def test_pad_to_multiple():
    x = torch.arange(6.0).view(1, 1, 2, 3)
    assert pad_to_multiple(x, 1) is x
    p = pad_to_multiple(x, 4)
    assert p.shape == (1, 1, 4, 4) and torch.equal(p[..., :2, :3], x)
    assert torch.equal(p[0, 0, 3], p[0, 0, 1])  # replicated bottom row
    r = pad_to_multiple(torch.arange(25.0).view(1, 1, 5, 5), 8, "reflect")  # 3 < 5: reflects
    assert r[0, 0, 5, 0] == 15.0  # row 5 mirrors row 3
    f = pad_to_multiple(torch.arange(4.0).view(1, 1, 2, 2), 8, "reflect")  # 6 >= 2: replicates
    assert f.shape == (1, 1, 8, 8) and f[0, 0, 7, 0] == 2.0


@pytest.mark.parametrize("kind", ["gated", "partial"])
def test_tiles_equal_the_whole_pass(kind):
    G = _net(kind)
    x, m = _inputs(144, 144)  # a multiple of 8: pad-free
    # Cores of 48 (starts 0, 48, 96): the middle tile has a margin on every side.
    tile = 48 + 2 * (-(-G.context // G.multiple) * G.multiple)
    with torch.no_grad():
        whole = G(x, m)
        tiled = run_tiled(G, x, m, G.multiple, G.context, tile=tile)
    assert torch.allclose(tiled, whole, atol=1e-5, rtol=0)


@pytest.mark.parametrize("kind", ["gated", "partial"])
def test_any_size_whole_or_tiled_and_known_pixels_bit_identical(kind):
    G = _net(kind)
    x, m = _inputs(150, 61)  # neither side a multiple
    whole = inpaint_any_size(G, x, m, G.multiple, G.context)
    tiled = inpaint_any_size(G, x, m, G.multiple, G.context, tile=136)
    assert whole.shape == x.shape == tiled.shape
    assert torch.allclose(tiled, whole, atol=1e-5, rtol=0)
    known = (m == 0).expand_as(x)
    for out in (whole, tiled):
        assert torch.equal(out[known], x[known])
        assert not torch.equal(out[~known], x[~known])


def test_an_image_that_fits_one_tile_runs_whole():
    calls = []

    def G(image, mask):
        calls.append(tuple(image.shape[-2:]))
        return torch.zeros_like(image)

    x, m = _inputs(30, 30)
    out = inpaint_any_size(G, x, m, multiple=4, context=5, tile=64)
    assert calls == [(32, 32)] and out.shape == x.shape


def test_tiles_too_small_for_the_receptive_field_are_refused():
    x, m = _inputs(64, 64)
    with pytest.raises(GanforgeError, match="at least 92 px"):
        run_tiled(lambda a, b: a, x, m, multiple=4, context=41, tile=80)
