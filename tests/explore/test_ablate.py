import numpy as np
import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.explore import ablate as A
from ganforge.explore import latents as L
from ganforge.explore.sample import generate
from ganforge.models.mlp import MLPGenerator
from ganforge.runs import load_run


@pytest.fixture(scope="module")
def run(dcgan_run):
    return load_run(dcgan_run)


@pytest.fixture(scope="module")
def z(run):
    return L.latents(0, range(6), run.z_dim)


def test_layers_are_the_upsampling_blocks(run):
    infos = A.describe_layers(run.G)
    assert [(i.channels, i.size) for i in infos] == [(32, 4), (16, 8), (8, 16)]


def test_zeroing_no_channel_changes_nothing(run, z):
    before, after = A.before_after(run.G, 1, [], z)
    assert torch.equal(before, after)


def test_zeroing_channels_changes_the_image_and_only_that_layer(run, z):
    before, after = A.before_after(run.G, 1, [2, 5], z)
    # 2 of 16 maps gone: a clear change (pixels in [-1, 1]; the samples differ by ~0.5 among
    # themselves), in every image.
    assert (after - before).abs().mean(dim=(1, 2, 3)).min() > 0.02
    layers = A.feature_layers(run.G)
    with A.capture(layers[0]) as up0, A.capture(layers[1]) as up1:
        generate(run.G, z)
    with A.zeroed(layers[1], [2, 5]), A.capture(layers[0]) as ab0, A.capture(layers[1]) as ab1:
        generate(run.G, z)
    assert torch.equal(ab0[0], up0[0])  # earlier layers are untouched
    assert (ab1[0][:, [2, 5]] == 0).all()  # the chosen feature maps are gone everywhere
    keep = [c for c in range(16) if c not in (2, 5)]
    assert torch.equal(ab1[0][:, keep], up1[0][:, keep])  # the other maps are as they were
    # The hook is removed afterwards: the generator is exactly as loaded.
    assert torch.equal(generate(run.G, z), before)


def test_region_picks_the_channels_most_active_there(run, z):
    region = (8, 8, 24, 24)  # the centre of the 32 px image
    assert A.region_cells(region, 32, 8) == (slice(2, 6), slice(2, 6))
    assert A.region_cells((0, 0, 1, 1), 32, 4) == (slice(0, 1), slice(0, 1))  # at least a cell
    top = A.top_channels(run.G, 2, z, None, region, 3)
    with A.capture(A.feature_layers(run.G)[2]) as seen:
        generate(run.G, z)
    activity = seen[0].relu()[:, :, 4:12, 4:12].mean(dim=(0, 2, 3))  # (8,) on the 16x16 map
    assert top == activity.topk(3).indices.tolist()


def test_bad_selections_name_the_valid_range(run, z):
    infos = A.describe_layers(run.G)
    with pytest.raises(
        GanforgeError, match=r"--layer 3 is out of range: .* layers 0 \(32 ch, 4x4\)"
    ):
        A.check_selection(infos, 3)
    with pytest.raises(GanforgeError, match="layer 2 has channels 0-7"):
        A.check_selection(infos, 2, [1, 8])
    with pytest.raises(GanforgeError, match="does not fit the 32x32 image"):
        A.parse_region("10,10,40,20", 32)
    with pytest.raises(GanforgeError, match="four integers"):
        A.parse_region("1,2,3", 32)
    with pytest.raises(GanforgeError, match="between 1 and 8"):
        A.top_channels(run.G, 2, z, None, (0, 0, 32, 32), 9)
    with pytest.raises(GanforgeError, match="convolutional generator"):
        A.feature_layers(MLPGenerator(8, [16], (1, 28, 28)))


def test_figure_rows_and_region_outline(run, z):
    before, after = A.before_after(run.G, 2, [0, 1], z[:3])
    plain = A.figure(before, after)
    assert plain.shape[-1] == 1  # grey images stay grey
    boxed = A.figure(before, after, region=(8, 8, 24, 24))
    assert boxed.shape[:2] == plain.shape[:2] and boxed.shape[-1] == 3
    red = (boxed[..., 0] > 200) & (boxed[..., 1] < 80) & (boxed[..., 2] < 80)
    # One 1-px box per image (3 rows x 3 images), drawn just outside the 2x enlarged region:
    # 4 sides of 32 + 2 pixels.
    assert red.sum() == 9 * 4 * 33
    ys, xs = np.nonzero(red)
    label_w = plain.shape[1] - 4 - 3 * 68  # the row labels' column
    left = 4 + label_w
    assert xs.min() == left + 16 - 1 and ys.min() == 4 + 16 - 1  # the first box, top-left corner
    # Inside and outside the boxes the images are untouched.
    assert np.array_equal(boxed[~red][:, 0], plain[..., 0][~red])
