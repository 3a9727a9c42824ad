import numpy as np
from PIL import Image


def test_sheet_is_numbered_and_follows_the_seed(dcgan_run, tmp_path, ganforge_cli):
    out = ganforge_cli("sheet", dcgan_run, "--n", 12, "--seed", 7, "--out", tmp_path / "a.png")
    assert "samples 0-11 of seed 7" in out.err
    ganforge_cli("sheet", dcgan_run, "--n", 12, "--seed", 8, "--out", tmp_path / "b.png")
    a, b = (np.asarray(Image.open(tmp_path / n)) for n in ("a.png", "b.png"))
    assert a.shape == b.shape and a.shape[0] > 3 * 64  # 3 rows of 2x enlarged 32 px tiles
    assert not np.array_equal(a, b)


def test_sheet_bad_input(dcgan_run, toy_run, tmp_path, ganforge_cli):
    assert (
        "must end in .png"
        in ganforge_cli("sheet", dcgan_run, "--out", tmp_path / "s.gif", code=2).err
    )
    assert (
        "needs an image generator"
        in ganforge_cli("sheet", toy_run, "--out", tmp_path / "s.png", code=2).err
    )
    assert list(tmp_path.iterdir()) == []
