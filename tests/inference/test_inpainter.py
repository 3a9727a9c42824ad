"""inference/inpainter.py: the inpaint use, any size, known pixels untouched, tiles = whole."""

import pytest
import torch

from ganforge.config import load_config
from ganforge.errors import GanforgeError
from ganforge.inference.inpainter import Inpainter, inpaint_batch, inpaint_image
from ganforge.models.inpainting import GatedGenerator


def _model(channels=1):
    torch.manual_seed(0)
    net = GatedGenerator(channels, 4, dilations=(2,)).eval().requires_grad_(False)
    cfg = load_config("inpaint-fashion", {"data.channels": channels})
    return Inpainter(cfg=cfg, net=net, channels=channels, multiple=4, context=net.context)


def _pair(c, h, w, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 256, (c, h, w), generator=g, dtype=torch.uint8)
    m = (torch.rand(1, h, w, generator=g) < 0.3).float()
    return x, m


def test_it_declares_the_inpaint_use_with_image_and_mask():
    model = _model()
    assert model.uses == {"inpaint": ("image", "mask")} and model.require("inpaint") is model
    with pytest.raises(GanforgeError, match="cannot sample"):
        model.require("sample")
    spec = model.export_spec()
    assert spec.input_names == ["image", "mask"] and spec.output_name == "output"
    assert spec.config["size_multiple"] == 4 and spec.config["inputs"]["mask"]["shape"][1] == 1


@pytest.mark.parametrize("channels,h,w", [(1, 37, 23), (3, 16, 50), (3, 5, 9)])
def test_any_size_keeps_every_known_pixel_exactly(channels, h, w):
    model = _model(channels)
    x, m = _pair(channels, h, w)
    y = inpaint_image(model, x, m)
    assert y.shape == x.shape and y.dtype == torch.uint8
    known = ~m.bool().expand_as(x)
    assert torch.equal(y[known], x[known])
    assert not torch.equal(y[~known], x[~known])  # the hole was filled, not left as it was


def test_tiles_agree_with_the_whole_image_when_the_margin_covers_the_receptive_field():
    model = _model()
    tile = 2 * -(-model.context // 4) * 4 + 16  # a margin on each side and a 16 px core
    x, m = _pair(1, 2 * tile + 5, tile + 7, seed=3)
    whole = inpaint_image(model, x, m, tile=4096)
    tiled = inpaint_image(model, x, m, tile=tile)  # 3 x 2 tiles, at least
    assert (whole.int() - tiled.int()).abs().max() <= 1  # float rounding, then uint8 rounding


def test_batches_match_single_images():
    model = _model()
    pairs = [_pair(1, 20, 24, seed=s) for s in range(3)]
    xs, ms = torch.stack([p[0] for p in pairs]), torch.stack([p[1] for p in pairs])
    batch = inpaint_batch(model, xs, ms)
    for i, (x, m) in enumerate(pairs):
        assert (batch[i].int() - inpaint_image(model, x, m).int()).abs().max() <= 1


@pytest.mark.parametrize(
    "mask,match",
    [
        (torch.zeros(1, 12, 12), "all black: nothing to fill"),
        (torch.ones(1, 12, 12), "all white: no pixel of its image is known"),
        (torch.ones(1, 12, 10), "is 10x12 pixels but its image is 12x12"),
    ],
)
def test_masks_that_cannot_be_filled_are_refused(mask, match):
    x = torch.zeros(1, 12, 12, dtype=torch.uint8)
    mask = mask.clone()
    if mask.shape[-1] == 10:
        mask[..., 0, 0] = 0
    with pytest.raises(GanforgeError, match=match):
        inpaint_image(_model(), x, mask, what="m.png")


def test_images_of_the_wrong_kind_are_refused():
    model = _model()
    with pytest.raises(GanforgeError, match=r"expected uint8 \(N, 1, H, W\)"):
        inpaint_batch(model, torch.zeros(1, 3, 8, 8, dtype=torch.uint8), torch.ones(1, 1, 8, 8))
    with pytest.raises(GanforgeError, match="--tile 0 must be positive"):
        inpaint_image(model, *_pair(1, 8, 8), tile=0)


def test_infer_is_inpaint_batch_after_each_mask_is_checked():
    model = _model()
    x, m = _pair(1, 12, 16)
    out = model.infer("inpaint", {"image": x[None], "mask": m[None]})
    assert torch.equal(out, inpaint_batch(model, x[None], m[None]))
    assert model.input_info("image") == {"channels": 1, "size": None, "background": "white"}
    with pytest.raises(GanforgeError, match="mask #0 is all black"):
        model.infer("inpaint", {"image": x[None], "mask": 0 * m[None]})
