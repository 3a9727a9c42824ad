import numpy as np
import pytest
from PIL import Image


def test_grid_and_npz_hold_the_same_samples(dcgan_run, tmp_path, ganforge_cli):
    out = ganforge_cli(
        "sample",
        dcgan_run,
        "--n",
        6,
        "--seed",
        1,
        "--grid",
        tmp_path / "g.png",
        "--out",
        tmp_path / "s.npz",
    )
    assert "6 samples (seed 1, EMA generator)" in out.err
    data = np.load(tmp_path / "s.npz")
    grid = np.asarray(Image.open(tmp_path / "g.png"))
    assert data["images"].shape == (6, 32, 32, 1) and data["index"].tolist() == list(range(6))
    assert np.array_equal(grid[2:34, 2:34], data["images"][0, ..., 0])

    ganforge_cli(
        "sample", dcgan_run, "--n", 2, "--start", 4, "--seed", 1, "--out", tmp_path / "pngs"
    )
    four = np.asarray(Image.open(tmp_path / "pngs" / "000004.png"))
    assert np.array_equal(four, data["images"][4, ..., 0])  # sample 4 of seed 1, whatever n
    assert np.abs(four.astype(int) - data["images"][5, ..., 0]).mean() > 20  # not any sample


def test_truncation_and_labels(cgan_run, tmp_path, ganforge_cli):
    ganforge_cli(
        "sample",
        cgan_run,
        "--n",
        4,
        "--label",
        "3",
        "--truncation",
        0.5,
        "--out",
        tmp_path / "s.npz",
    )
    data = np.load(tmp_path / "s.npz")
    assert data["y"].tolist() == [3, 3, 3, 3] and np.abs(data["z"]).max() <= 0.5


def test_toy_runs_sample_points_only(toy_run, tmp_path, ganforge_cli):
    ganforge_cli("sample", toy_run, "--n", 50, "--out", tmp_path / "p.npz")
    assert np.load(tmp_path / "p.npz")["images"].shape == (50, 2)
    ganforge_cli("sample", toy_run, "--grid", tmp_path / "p.png", code=2)


@pytest.mark.parametrize(
    "args, message",
    [
        (["{run}", "--n", "4"], "say where the samples go"),
        (["{run}", "--grid", "{tmp}/missing/g.png"], "does not exist (create it first)"),
        (["{run}", "--out", "{tmp}/s.jpg"], "use a .png grid, a .npz file or a folder"),
        (["{run}", "--grid", "{tmp}/g.png", "--label", "3"], "not class-conditional"),
        (["{run}", "--grid", "{tmp}/g.png", "--n", "0"], "--n 0 must be at least 1"),
        (["{run}", "--grid", "{tmp}/g.png", "--truncation", "-1"], "must be positive"),
        (["{run}", "--grid", "{tmp}/g.png", "--start", "9223372036854775807"], "is too large"),
        (["{run}", "--grid", "{tmp}/g.png", "--start", "-1"], "must not be negative"),
        (["{tmp}", "--grid", "{tmp}/g.png"], "not a ganforge run folder"),
        (["{tmp}/nope", "--grid", "{tmp}/g.png"], "does not exist"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(args, message, dcgan_run, tmp_path, ganforge_cli):
    args = [a.format(run=dcgan_run, tmp=tmp_path) for a in args]
    err = ganforge_cli("sample", *args, code=2).err
    assert message in err
    assert list(tmp_path.iterdir()) == []
