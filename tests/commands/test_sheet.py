import numpy as np
from PIL import Image


def test_sheet_is_numbered_and_follows_the_seed(dcgan_run, tmp_path, ganforge_cli):
    out = ganforge_cli("sheet", dcgan_run, "--n", 12, "--seed", 7, "--out", tmp_path / "a.png")
    assert "samples 0-11 of seed 7" in out.err
    ganforge_cli("sheet", dcgan_run, "--n", 12, "--seed", 8, "--out", tmp_path / "b.png")
    a, b = (np.asarray(Image.open(tmp_path / n)) for n in ("a.png", "b.png"))
    assert a.shape == b.shape and a.shape[0] > 3 * 64  # 3 rows of 2x enlarged 32 px tiles
    assert not np.array_equal(a, b)


def test_a_conditional_sheet_shows_sample_i_as_sample_draws_it(
    cgan_run, tmp_path, ganforge_cli, tile_x
):
    ganforge_cli(
        "sheet", cgan_run, "--n", 12, "--cols", 4, "--seed", 7, "--out", tmp_path / "c.png"
    )
    ganforge_cli("sample", cgan_run, "--n", 12, "--seed", 7, "--out", tmp_path / "s.npz")
    images = np.load(tmp_path / "s.npz")["images"][..., 0]
    fig = np.asarray(Image.open(tmp_path / "c.png"))
    assert tile_x(fig, images[2], top=4) == [4 + 2 * 68]
    # Two caption lines (number and class) under each image: taller than an unconditional sheet.
    ganforge_cli(
        "sheet", cgan_run, "--n", 12, "--cols", 4, "--label", 3, "--out", tmp_path / "d.png"
    )
    assert tile_x(np.asarray(Image.open(tmp_path / "d.png")), images[2], top=4) == []
    row_h = (fig.shape[0] - 4) // 3
    assert row_h > 64 + 4 + 2 * 10
    caption = fig[4 + 64 : 4 + row_h - 4, 4 + 2 * 68 : 4 + 3 * 68 - 4]
    ink_rows = np.nonzero((caption < 128).any(axis=1))[0]
    assert ink_rows.max() - ink_rows.min() > 12  # text on two lines, not one


def test_sheet_bad_input(dcgan_run, toy_run, tmp_path, ganforge_cli):
    assert (
        "must end in .png"
        in ganforge_cli("sheet", dcgan_run, "--out", tmp_path / "s.gif", code=2).err
    )
    assert (
        "needs an image generator"
        in ganforge_cli("sheet", toy_run, "--out", tmp_path / "s.png", code=2).err
    )
    for args, message in [
        (["--n", "5000"], "--n 5000 must be between 1 and 1024"),
        (["--cols", "-3"], "--cols -3 must be positive"),
        (["--start", "9223372036854775807", "--n", "2"], "is too large"),
    ]:
        assert (
            message
            in ganforge_cli("sheet", dcgan_run, *args, "--out", tmp_path / "s.png", code=2).err
        )
    assert list(tmp_path.iterdir()) == []
