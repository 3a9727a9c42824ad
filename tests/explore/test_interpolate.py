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
    frames = generate(run.G, I.path(ends[0], ends[1], 6, spherical=True))
    samples = draw(run.G, 41, seed=5).images
    assert torch.allclose(frames[0], samples[12], atol=1e-5)
    assert torch.allclose(frames[-1], samples[40], atol=1e-5)
    # Neighbouring frames are closer than the endpoints: a walk, not a jump.
    steps = (frames[1:] - frames[:-1]).abs().mean(dim=(1, 2, 3))
    assert steps.max() < (frames[-1] - frames[0]).abs().mean()

    I.save_strip(tmp_path / "walk.png", frames)
    strip = np.asarray(Image.open(tmp_path / "walk.png"))
    assert strip.shape == (36, 6 * 34 + 2)
    assert np.array_equal(strip[2:34, 2:34], to_uint8(frames[:1])[0, 0].numpy())

    I.save_gif(tmp_path / "walk.gif", frames, scale=2)
    gif = Image.open(tmp_path / "walk.gif")
    gif_frames = [np.asarray(f.convert("L")) for f in ImageSequence.Iterator(gif)]
    assert len(gif_frames) == 6 + 4  # forward, then back without repeating the ends
    assert gif_frames[0].shape == (64, 64)
    assert np.array_equal(gif_frames[0][::2, ::2], to_uint8(frames[:1])[0, 0].numpy())
    assert gif.info["loop"] == 0
