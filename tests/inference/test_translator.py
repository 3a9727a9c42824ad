"""inference/translator.py: the padding and tiling contract of running an image-to-image generator
on images of any size, reading image files, and collecting the inputs of a command."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from ganforge.config import Config
from ganforge.data.loader import to_model_range
from ganforge.errors import GanforgeError
from ganforge.inference.translator import (
    Translator,
    collect_inputs,
    read_image,
    translate_tensor,
    upscale_tiled,
)


class Recorder(nn.Module):
    """``net(x)``: x itself (scale 1), or nearest-neighbour upscaled (scale s), after an optional
    3x3 box blur (zero padding: what a conv layer does at the border); records the input shapes."""

    def __init__(self, scale: int = 1, blur: bool = False, min_size: int = 1) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(()))  # gives the net a device
        self.scale, self.blur, self.min_size = scale, blur, min_size
        self.seen: list[tuple[int, ...]] = []

    def forward(self, x):
        self.seen.append(tuple(x.shape))
        self.last = x
        if self.blur:
            k = torch.full((x.shape[1], 1, 3, 3), 1 / 9)
            x = F.conv2d(x, k, padding=1, groups=x.shape[1])
        s = self.scale
        return x.repeat_interleave(s, 2).repeat_interleave(s, 3) if s > 1 else x


def _tr(net: nn.Module, multiple: int = 1, scale: int = 1, context: int = 0, channels: int = 1):
    return Translator(Config(), net, "AtoB", "G", channels, multiple, scale, context)


def _images(n: int, c: int, h: int, w: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, c, h, w), generator=g, dtype=torch.uint8)


def test_translation_pads_to_the_multiple_with_replicated_borders_and_crops_back():
    net = Recorder()
    x = _images(2, 1, 10, 13)
    y = translate_tensor(_tr(net, multiple=4), x)
    assert net.seen == [(2, 1, 12, 16)]  # both sides up to the next multiple of 4
    assert y.dtype == torch.uint8 and torch.equal(y, x)  # the identity net gives the input back
    # 2 rows: 1 above, 1 below; 3 columns: 1 left, 2 right; each a copy of the edge pixels.
    seen = to_model_range(x)
    assert torch.equal(net.last[..., 1:11, 1:14], seen)
    assert torch.equal(net.last[..., 0, 1:14], seen[..., 0, :])
    assert torch.equal(net.last[..., 11, 1:14], seen[..., -1, :])
    assert torch.equal(net.last[..., 1:11, 0], seen[..., :, 0])
    assert torch.equal(net.last[..., 1:11, 14], seen[..., :, -1])
    assert torch.equal(net.last[..., 1:11, 15], seen[..., :, -1])


def test_the_networks_smallest_input_is_reached_by_padding():
    net = Recorder(min_size=8)
    tr = _tr(net, multiple=1)
    assert (tr.min_size, tr.net_min_size) == (4, 8)
    y = translate_tensor(tr, _images(1, 1, 5, 6))
    assert net.seen == [(1, 1, 8, 8)] and y.shape == (1, 1, 5, 6)
    assert _tr(Recorder(), multiple=16).min_size == 16  # a U-Net needs its bottleneck


def test_wrong_channels_and_tiny_images_are_one_line_errors():
    tr = _tr(Recorder(), multiple=8, channels=3)
    with pytest.raises(
        GanforgeError, match=r"^photo\.png: expected \(N, 3, H, W\) .*\(1, 1, 16, 16\)$"
    ):
        translate_tensor(tr, _images(1, 1, 16, 16), "photo.png")
    with pytest.raises(
        GanforgeError, match="is 9x7 px, too small for this network: it needs at least 8x8"
    ):
        translate_tensor(tr, _images(1, 3, 7, 9))
    with pytest.raises(GanforgeError, match="^--tile 0 must be positive$"):
        upscale_tiled(_tr(Recorder(scale=2), scale=2), _images(1, 1, 9, 9), tile=0)


def test_super_resolution_scales_the_output_and_the_crop():
    net = Recorder(scale=4)
    x = _images(1, 3, 5, 7)
    y = translate_tensor(_tr(net, multiple=2, scale=4, channels=3), x)
    assert net.seen == [(1, 3, 6, 8)] and y.shape == (1, 3, 20, 28)
    assert torch.equal(y, x.repeat_interleave(4, 2).repeat_interleave(4, 3))


def test_tiles_with_their_context_equal_one_whole_pass():
    x = _images(1, 1, 23, 17, seed=1)
    whole = translate_tensor(_tr(Recorder(scale=2, blur=True), scale=2, context=1), x)
    net = Recorder(scale=2, blur=True)
    tiled = upscale_tiled(_tr(net, scale=2, context=1), x, tile=6)
    assert tiled.shape == (1, 1, 46, 34) and torch.equal(tiled, whole)
    assert len(net.seen) == 4 * 3  # ceil(23 / 6) x ceil(17 / 6) tiles
    assert max(s[-2] for s in net.seen) == 6 + 2  # a tile plus one pixel of context each side
    # Without the margin the blur reads zeros at the seams: the tiles show.
    seams = upscale_tiled(_tr(Recorder(scale=2, blur=True), scale=2, context=0), x, tile=6)
    assert not torch.equal(seams, whole)
    # An image that fits one tile is one pass.
    small = Recorder(scale=2, blur=True)
    assert torch.equal(upscale_tiled(_tr(small, scale=2, context=1), x, tile=64), whole)
    assert small.seen == [(1, 1, 23, 17)]


def test_read_image_converts_any_file_to_the_runs_channels(tmp_path):
    rgba = np.zeros((3, 5, 4), np.uint8)
    rgba[..., 0] = 255  # red, fully transparent: the background shows
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    grey = read_image(tmp_path / "a.png", 1)
    assert grey.shape == (1, 3, 5) and grey.dtype == np.uint8 and (grey == 255).all()
    rgb = read_image(tmp_path / "a.png", 3, background="black")
    assert rgb.shape == (3, 3, 5) and (rgb == 0).all()
    Image.fromarray(np.full((4, 6), 65535, np.uint16)).save(tmp_path / "deep.png")
    assert (read_image(tmp_path / "deep.png", 1) == 255).all()  # 16 bits to 8
    (tmp_path / "bad.png").write_bytes(b"not a png")
    with pytest.raises(GanforgeError, match="^cannot read .*bad.png: "):
        read_image(tmp_path / "bad.png", 1)


def test_collect_inputs_expands_folders_and_refuses_clashing_names(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    for name in ("b.png", "a.JPG", ".hidden.png", "notes.txt"):
        (d / name).write_bytes(b"x")
    (d / "sub").mkdir()
    (d / "sub" / "c.png").write_bytes(b"x")  # folders are not searched recursively
    one = tmp_path / "one.tif"
    one.write_bytes(b"x")
    assert collect_inputs([str(d), str(one)]) == [d / "a.JPG", d / "b.png", one]
    with pytest.raises(GanforgeError, match="nowhere does not exist$"):
        collect_inputs([str(tmp_path / "nowhere")])
    (d / "sub" / "c.png").rename(d / "sub" / "c.txt")
    with pytest.raises(GanforgeError, match="sub holds no image files$"):
        collect_inputs([str(d / "sub")])
    clash = tmp_path / "b.jpg"
    clash.write_bytes(b"x")
    with pytest.raises(GanforgeError, match="several inputs would write b.png"):
        collect_inputs([str(d), str(clash)])


def test_uses_export_and_description_follow_the_scale():
    same, sr = _tr(Recorder()), _tr(Recorder(scale=4), scale=4)
    assert same.uses == {"translate": ("image",)} and sr.uses == {"upscale": ("image",)}
    assert same.module is same.net and same.describe() == "gan G (AtoB)"
    spec = sr.export_spec()
    assert spec.input_names == ["input"] and spec.output_name == "output"
    assert spec.config["scale"] == 4 and spec.config["output"]["shape"][2] == "4*height"
    x = spec.example[0]
    assert spec.module(x).shape == (x.shape[0], 1, 4 * x.shape[2], 4 * x.shape[3])
    m = _tr(Recorder(), multiple=4).export_spec()
    assert all(p[0].shape[2] % 4 == 0 and p[0].shape[3] % 4 == 0 for p in m.probes)


def test_infer_is_translate_tensor_or_tiled_upscaling():
    x = _images(2, 1, 10, 13)
    tr = _tr(Recorder(blur=True), multiple=4)
    assert torch.equal(tr.infer("translate", {"image": x}), translate_tensor(tr, x))
    up = _tr(Recorder(scale=2), scale=2)
    assert torch.equal(up.infer("upscale", {"image": x}), translate_tensor(up, x))
    assert tr.input_info("image") == {
        "channels": 1,
        "size": None,
        "min_size": 4,
        "background": "white",
    }
    with pytest.raises(GanforgeError, match="cannot upscale"):
        tr.infer("upscale", {"image": x})


def test_read_image_refuses_a_file_over_the_pixel_limit(tmp_path):
    Image.fromarray(np.zeros((40, 50), np.uint8)).save(tmp_path / "a.png")
    assert read_image(tmp_path / "a.png", 1).shape == (1, 40, 50)
    with pytest.raises(GanforgeError, match=r"50x40 = 0.002 MP is over the 0.001 MP limit"):
        read_image(tmp_path / "a.png", 1, max_pixels=1000)
