import math

import numpy as np
import pytest
import torch
from PIL import Image, ImageSequence

from ganforge.errors import GanforgeError
from ganforge.explore import interpolate as I
from ganforge.explore import latents as L
from ganforge.explore.sample import draw, generate
from ganforge.images import to_uint8
from ganforge.runs import load_run


def test_endpoints_are_exact_and_slerp_stays_on_the_sphere():
    a, b = L.latents(0, [1], 64)[0], L.latents(0, [2], 64)[0]
    for spherical in (False, True):
        z = I.path(a, b, 7, spherical)
        assert z.shape == (7, 64)
        assert torch.equal(z[0], a) and torch.equal(z[-1], b)
    e1, e2 = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    mid = I.slerp(e1, e2, torch.tensor([0.5]))[0]
    assert torch.allclose(mid, torch.tensor([math.sqrt(0.5)] * 2))  # norm 1, not 0.71
    assert torch.allclose(I.lerp(e1, e2, torch.tensor([0.5]))[0], torch.tensor([0.5, 0.5]))
    # Parallel vectors: the great circle is the segment, no division by sin(0).
    assert torch.allclose(I.slerp(e1, 2 * e1, torch.tensor([0.5]))[0], torch.tensor([1.5, 0.0]))
    with pytest.raises(GanforgeError, match="at least 2"):
        I.path(a, b, 1)


def test_walk_frames_start_and_end_on_the_two_samples(dcgan_run, tmp_path):
    run = load_run(dcgan_run)
    ends = L.latents(5, [12, 40], run.z_dim)
    frames = I.walk(run.G, ends[0], ends[1], 6, spherical=True)
    samples = draw(run.G, 41, seed=5).images
    assert torch.allclose(frames[0], samples[12], atol=1e-5)
    assert torch.allclose(frames[-1], samples[40], atol=1e-5)
    # ... and not the other way round: the two samples are clearly different images.
    assert (frames[0] - samples[40]).abs().mean() > 0.2
    # Neighbouring frames are closer than the endpoints: a walk, not a jump.
    steps = (frames[1:] - frames[:-1]).abs().mean(dim=(1, 2, 3))
    assert steps.max() < 0.7 * (frames[-1] - frames[0]).abs().mean()

    I.save_strip(tmp_path / "walk.png", frames, "#12", "#40")
    strip = np.asarray(Image.open(tmp_path / "walk.png"))
    u8 = to_uint8(frames)[:, 0].numpy()  # (6, 32, 32)
    assert strip.shape[1] == 4 + 6 * (64 + 4)  # enlarged 2x like the sheet, 4 px apart
    for k in (0, 5):  # frame k, pixel-doubled, at its place in the strip
        tile = strip[4 : 4 + 64, 4 + k * 68 : 4 + k * 68 + 64]
        assert np.array_equal(tile, u8[k].repeat(2, 0).repeat(2, 1))
    assert strip[4 + 64 :, 4 : 4 + 64].min() < 128  # the caption under the first frame
    assert strip.shape[0] > 4 + 64 + 2 * 10  # two caption lines: the name and t

    I.save_gif(tmp_path / "walk.gif", frames, scale=2)
    gif = Image.open(tmp_path / "walk.gif")
    gif_frames = [np.asarray(f.convert("L")) for f in ImageSequence.Iterator(gif)]
    assert len(gif_frames) == 6 + 4  # forward, then back without repeating the ends
    assert gif_frames[0].shape == (64, 64)
    assert np.array_equal(gif_frames[0][::2, ::2], u8[0])
    assert gif.info["loop"] == 0


def test_a_conditional_walk_moves_the_class_from_end_to_end(cgan_run):
    run = load_run(cgan_run)
    ends = L.latents(5, [12, 41], run.z_dim)  # classes 2 and 1
    frames = I.walk(run.G, ends[0], ends[1], 5, ya=2, yb=1, num_classes=10)
    samples = draw(run.G, 42, seed=5, num_classes=10).images  # sample i has class i mod 10
    assert torch.allclose(frames[0], samples[12], atol=1e-5)
    assert torch.allclose(frames[-1], samples[41], atol=1e-5)
    # The end is not the --to latent drawn with the --from class, which is what a walk that
    # keeps one class would give.
    wrong = generate(run.G, ends[1:], torch.tensor([2]))
    assert (frames[-1] - wrong[0]).abs().mean() > 0.1
    # Half-way the class input is half of each: neither end class alone.
    mid_z = I.path(ends[0], ends[1], 5)[2:3]
    as_2, as_1 = (
        generate(run.G, mid_z, torch.tensor([2])),
        generate(run.G, mid_z, torch.tensor([1])),
    )
    assert (frames[2] - as_2[0]).abs().mean() > 0.02 and (frames[2] - as_1[0]).abs().mean() > 0.02
    with pytest.raises(GanforgeError, match="needs both end classes"):
        I.walk(run.G, ends[0], ends[1], 5, num_classes=10)
