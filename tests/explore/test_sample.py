import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.errors import GanforgeError
from ganforge.explore import sample as S
from ganforge.images import to_uint8
from ganforge.runs import load_run


@pytest.fixture(scope="module")
def run(dcgan_run):
    return load_run(dcgan_run)


def test_a_sample_is_reproducible_by_seed_and_index(run):
    many = S.draw(run.G, 12, seed=3)
    few = S.draw(run.G, 2, seed=3, start=7)
    assert torch.equal(few.z, many.z[7:9]) and few.index.tolist() == [7, 8]
    assert torch.allclose(few.images, many.images[7:9], atol=1e-5)
    other = S.draw(run.G, 12, seed=4)
    assert (other.images - many.images).abs().mean(dim=(1, 2, 3)).min() > 0.2  # each differs
    assert (many.images[8] - many.images[7]).abs().mean() > 0.2  # and i+1 is not i
    assert many.images.shape == (12, 1, 32, 32) and many.y is None


def test_grid_npz_and_folder_outputs_hold_the_samples(run, tmp_path):
    s = S.draw(run.G, 5, seed=1)
    u8 = to_uint8(s.images)  # (5, 1, 32, 32)

    S.save(s, tmp_path / "grid.png")
    grid = np.asarray(Image.open(tmp_path / "grid.png"))
    assert grid.shape == (2 * 34 + 2, 3 * 34 + 2)  # 2 rows of 3, 2 px padding
    assert np.array_equal(grid[2:34, 36:68], u8[1, 0].numpy())

    S.save(s, tmp_path / "s.npz")
    data = np.load(tmp_path / "s.npz")
    assert np.array_equal(data["images"], u8.permute(0, 2, 3, 1).numpy())
    assert np.array_equal(data["z"], s.z.numpy()) and data["index"].tolist() == [0, 1, 2, 3, 4]
    assert int(data["seed"]) == 1 and data["y"].size == 0

    S.save(s, tmp_path / "pngs")
    files = sorted(p.name for p in (tmp_path / "pngs").iterdir())
    assert files == [f"{i:06d}.png" for i in range(5)]
    assert np.array_equal(
        np.asarray(Image.open(tmp_path / "pngs" / "000003.png")), u8[3, 0].numpy()
    )


def test_bad_destinations_fail_before_writing(run, tmp_path):
    s = S.draw(run.G, 2)
    with pytest.raises(GanforgeError, match="does not exist"):
        S.save(s, tmp_path / "missing" / "grid.png")
    with pytest.raises(GanforgeError, match="use a .png grid, a .npz file or a folder"):
        S.save(s, tmp_path / "grid.jpg")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("keep me")
    with pytest.raises(GanforgeError, match="not an empty folder"):
        S.save(s, tmp_path / "full")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full"]


def test_conditional_samples_carry_their_labels(cgan_run):
    run = load_run(cgan_run)
    s = S.draw(run.G, 12, num_classes=run.num_classes)
    assert s.y.tolist() == [i % 10 for i in range(12)]
    fixed = S.draw(run.G, 3, num_classes=run.num_classes, label=4)
    assert fixed.y.tolist() == [4, 4, 4]
    # The label matters: the same latents with another class give other images.
    assert (fixed.images - s.images[:3]).abs().mean(dim=(1, 2, 3)).min() > 0.05


def test_toy_runs_sample_points(toy_run, tmp_path):
    run = load_run(toy_run)
    s = S.draw(run.G, 100)
    assert s.images.shape == (100, 2)
    S.save(s, tmp_path / "points.npz")
    assert np.load(tmp_path / "points.npz")["images"].shape == (100, 2)
    with pytest.raises(GanforgeError, match="2-D points"):
        S.save(s, tmp_path / "points.png")
