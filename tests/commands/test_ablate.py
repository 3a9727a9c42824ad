import numpy as np
import pytest
from PIL import Image


def test_ablate_channels_and_region(dcgan_run, tmp_path, ganforge_cli):
    out = ganforge_cli(
        "ablate",
        dcgan_run,
        "--layer",
        1,
        "--channels",
        "2,5",
        "--n",
        4,
        "--out",
        tmp_path / "a.png",
    )
    assert "zeroed channels 2,5 of layer 1 (16 ch, 8x8)" in out.out
    change = float(out.err.split("mean absolute change ")[1].split()[0])
    assert change > 0.01  # pixels in [0, 1]: a visible change, not rounding
    fig = np.asarray(Image.open(tmp_path / "a.png"))
    assert fig.shape[0] > 3 * 64 and fig.ndim == 2  # 3 rows of 2x tiles, grey: no region

    out = ganforge_cli(
        "ablate",
        dcgan_run,
        "--layer",
        2,
        "--region",
        "8,8,24,24",
        "--top",
        3,
        "--out",
        tmp_path / "b.png",
    )
    chosen = out.out.split("zeroed channels ")[1].split(" of")[0].split(",")
    assert len(chosen) == 3 and all(0 <= int(c) < 8 for c in chosen)
    fig = np.asarray(Image.open(tmp_path / "b.png").convert("RGB")).astype(int)
    red = (fig[..., 0] > 200) & (fig[..., 1] < 80) & (fig[..., 2] < 80)
    assert red.sum() == 3 * 8 * 4 * 33  # the region outlined on each of the 3 x 8 images


@pytest.mark.parametrize(
    "args, message",
    [
        (["--layer", "3", "--channels", "1"], "--layer 3 is out of range"),
        (["--layer", "-1", "--channels", "1"], "--layer -1 is out of range"),
        (["--layer", "2", "--channels", "8"], "layer 2 has channels 0-7"),
        (["--layer", "2", "--channels", "a,b"], "comma-separated integers"),
        (["--layer", "2", "--channels", ""], "--channels '' names no channel"),
        (["--layer", "2", "--channels", " , "], "names no channel"),
        (["--layer", "2", "--region", "0,0,33,8"], "does not fit the 32x32 image"),
        (["--layer", "2", "--region", "0,0,8,8", "--top", "9"], "between 1 and 8"),
    ],
)
def test_ablate_bad_input(args, message, dcgan_run, tmp_path, ganforge_cli):
    err = ganforge_cli("ablate", dcgan_run, *args, "--out", tmp_path / "a.png", code=2).err
    assert message in err
    assert list(tmp_path.iterdir()) == []


def test_ablate_needs_a_conv_generator_and_one_selection(
    toy_run, dcgan_run, tmp_path, ganforge_cli
):
    err = ganforge_cli(
        "ablate", toy_run, "--layer", 0, "--channels", 1, "--out", tmp_path / "a.png", code=2
    ).err
    assert "needs an image generator" in err
    err = ganforge_cli(  # argparse: --channels and --region exclude each other
        "ablate",
        dcgan_run,
        "--layer",
        0,
        "--channels",
        1,
        "--region",
        "0,0,4,4",
        "--out",
        tmp_path / "a.png",
        code=2,
    ).err
    assert "not allowed with argument" in err
