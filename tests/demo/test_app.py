"""demo/app.py: the page's values become the use's inputs, and the output is what the commands
would make of the same inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganforge.demo.app import MAX_SAMPLES, Demo, png_data_url
from ganforge.errors import GanforgeError
from ganforge.explore.sample import draw
from ganforge.images import to_uint8
from tiny_demo import (
    Captioned,
    data_url,
    decode,
    encoder,
    gallery,
    gallery_images,
    inpainter,
    noise_model,
    translator,
)


def _draw_url(model, n, seed, label=None, truncation=None):
    s = draw(model.G, n, seed=seed, num_classes=3, label=label, truncation=truncation)
    return png_data_url(to_uint8(s.images))


def test_a_sample_grid_is_ganforge_samples_grid_and_the_seed_changes_it():
    model = noise_model()
    demo = Demo(model)
    a = demo.call("sample", {"seed": 5, "n": 6})
    assert a["image"] == _draw_url(model, 6, 5)  # sample i of seed 5, classes in turn
    assert a["caption"] == "samples 0-5 of seed 5, every class in turn"
    b = demo.call("sample", {"seed": "6", "n": "6"})
    assert not np.array_equal(decode(a["image"]), decode(b["image"]))
    t = demo.call("class", {"seed": 5, "n": 6, "y": "2", "truncation": "0.5"})
    assert t["image"] == _draw_url(model, 6, 5, label=2, truncation=0.5)
    assert t["caption"] == "samples 0-5 of seed 5, truncation 0.5, class bag"


def test_a_walk_starts_and_ends_at_the_two_samples():
    model = noise_model()
    out = Demo(model).call("sample-walk", {"seed": 2, "a": 0, "b": 3, "steps": 5})
    # Samples 0 and 3 share class 0 (i mod 3), the walk's class.
    ends = draw(model.G, 4, seed=2, num_classes=3).images[[0, 3]]
    grid = decode(out["image"])  # 5 tiles of 8 px enlarged 8x, 2 px apart
    first, last = grid[2 : 2 + 64 : 8, 2 : 2 + 64 : 8], grid[2 : 2 + 64 : 8, -66:-2:8]
    np.testing.assert_array_equal(first, to_uint8(ends[0])[0].numpy())
    np.testing.assert_array_equal(last, to_uint8(ends[1])[0].numpy())
    assert out["caption"] == "walk from sample 0 to 3 of seed 2, 5 frames, its class"


@pytest.mark.parametrize(
    "form, values, message",
    [
        ("sample", {"seed": -1}, "seed -1 is out of range: use 0 to"),
        ("sample", {"seed": "x"}, "seed 'x' is not a whole number"),
        ("sample", {}, "give seed"),
        ("sample", {"seed": 1, "n": MAX_SAMPLES + 1}, f"n {MAX_SAMPLES + 1} is out of range"),
        ("sample", {"seed": 1, "truncation": "-1"}, "truncation -1.0 must be a positive number"),
        ("sample", {"seed": 1, "truncation": "nan"}, "must be a positive number"),
        ("class", {"seed": 1, "y": 3}, "y 3 is out of range: use 0 to 2"),
        ("sample-walk", {"seed": 1, "steps": 1}, "steps 1 is out of range: use 2 to 16"),
        ("upscale", {}, "this model has no form 'upscale': it has sample, class, sample-walk"),
    ],
)
def test_bad_values_are_one_line(form, values, message):
    with pytest.raises(GanforgeError, match=message.replace("(", r"\(")):
        Demo(noise_model()).call(form, values)


def _grey(h, w, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w), dtype=np.uint8)


def test_translate_and_upscale_run_the_translator_on_the_upload():
    x = _grey(12, 10)
    out = Demo(translator()).call("translate", {"image": data_url(x)})
    expect = torch.from_numpy(255 - x)[None, None]  # the net negates: 255 - x in pixels
    assert out["image"] == png_data_url(expect) and out["caption"] == "the 10x12 upload"
    up = Demo(translator(scale=2)).call("upscale", {"image": data_url(x)})
    big = expect.repeat_interleave(2, 2).repeat_interleave(2, 3)
    assert up["image"] == png_data_url(big)
    with pytest.raises(GanforgeError, match="too small for this network"):
        Demo(translator()).call("translate", {"image": data_url(_grey(2, 9))})


def test_inpaint_keeps_the_known_pixels_and_refuses_a_mask_of_another_size():
    x = _grey(16, 16)
    mask = np.zeros((16, 16), np.uint8)
    mask[4:9, 3:12] = 255
    out = decode(
        Demo(inpainter()).call("inpaint", {"image": data_url(x), "mask": data_url(mask)})["image"]
    )
    s = 4  # auto_scale(16): 16 px tiles enlarged to 64
    tile = out[2 : 2 + 16 * s : s, 2 : 2 + 16 * s : s]
    known = mask == 0
    np.testing.assert_array_equal(tile[known], x[known])
    assert not np.array_equal(tile[~known], x[~known])
    with pytest.raises(GanforgeError, match="mask upload is 8x8 pixels but its image is 16x16"):
        Demo(inpainter()).call("inpaint", {"image": data_url(x), "mask": data_url(mask[:8, :8])})
    with pytest.raises(GanforgeError, match="mask upload is all black: nothing to fill in"):
        Demo(inpainter()).call("inpaint", {"image": data_url(x), "mask": data_url(0 * mask)})
    with pytest.raises(GanforgeError, match="no mask was uploaded"):
        Demo(inpainter()).call("inpaint", {"image": data_url(x)})


def test_encode_finds_a_gallery_image_as_its_own_nearest_neighbour():
    demo = Demo(encoder(), gallery=gallery())
    image = gallery_images()[7, 0].numpy()
    out = demo.call("encode", {"image": data_url(image)})
    head, found = out["caption"].split(": ", 1)
    assert head == "the upload, then its 8 nearest gallery images"
    first = found.split(", ")[0]  # itself, at a distance of float rounding (batch of 1 vs 20)
    assert first.startswith("blobs#7 (") and float(first[9:-1]) < 1e-5
    grid = decode(out["image"])  # the upload first, then the neighbours: 9 tiles of 64 px
    assert grid.shape[:2] == (68, 9 * 66 + 2)
    np.testing.assert_array_equal(grid[2:66:8, 2:66:8], image)
    np.testing.assert_array_equal(grid[2:66:8, 68:132:8], image)  # neighbour 1: itself
    with pytest.raises(GanforgeError, match="no gallery"):
        Demo(encoder()).call("encode", {"image": data_url(image)})


def test_a_family_the_demo_never_heard_of_runs_through_its_declaration():
    out = Demo(Captioned()).call("text", {"seed": 0, "n": 2, "text": "x" * 50})
    assert decode(out["image"])[2, 2] == 128  # caption length 50 -> grey 0 -> 128 (rounded)
    assert out["caption"] == "samples 0-1 of seed 0, caption '" + "x" * 50 + "'"
    with pytest.raises(GanforgeError, match="write a caption first"):
        Demo(Captioned()).call("text", {"seed": 0, "text": "  "})


def test_a_toy_runs_points_are_a_message_not_a_crash():
    from torch import nn

    from ganforge.inference.noise import NoiseGenerator

    class Points(nn.Module):
        z_dim = 2

        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, z, y=None):
            return self.fc(z)

    with pytest.raises(GanforgeError, match=r"gave \(4, 2\), not images: the page shows images"):
        Demo(NoiseGenerator(Points(), output_shape=(2,))).call("sample", {"seed": 0, "n": 4})
