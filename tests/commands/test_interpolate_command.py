import numpy as np
from PIL import Image, ImageSequence


def test_strip_ends_on_the_sheet_samples(dcgan_run, tmp_path, ganforge_cli):
    ganforge_cli("sample", dcgan_run, "--n", 41, "--seed", 5, "--out", tmp_path / "s.npz")
    ganforge_cli(
        "interpolate",
        dcgan_run,
        "--from",
        12,
        "--to",
        40,
        "--steps",
        5,
        "--slerp",
        "--seed",
        5,
        "--out",
        tmp_path / "walk.png",
    )
    strip = np.asarray(Image.open(tmp_path / "walk.png"))
    images = np.load(tmp_path / "s.npz")["images"][..., 0]
    assert strip.shape == (36, 5 * 34 + 2)
    assert np.abs(strip[2:34, 2:34].astype(int) - images[12]).max() <= 1
    assert np.abs(strip[2:34, 4 * 34 + 2 : 5 * 34].astype(int) - images[40]).max() <= 1


def test_gif_from_a_saved_latent(dcgan_run, tmp_path, ganforge_cli):
    np.save(tmp_path / "z.npy", np.zeros(100, np.float32))
    ganforge_cli(
        "interpolate",
        dcgan_run,
        "--from",
        tmp_path / "z.npy",
        "--to",
        3,
        "--steps",
        4,
        "--out",
        tmp_path / "walk.gif",
    )
    gif = Image.open(tmp_path / "walk.gif")
    assert sum(1 for _ in ImageSequence.Iterator(gif)) == 4 + 2 and gif.size == (128, 128)


def test_interpolate_bad_input(dcgan_run, cgan_run, tmp_path, ganforge_cli):
    np.save(tmp_path / "two.npy", np.zeros((2, 100), np.float32))
    np.save(tmp_path / "one.npy", np.zeros(100, np.float32))
    cases = [
        ((dcgan_run, "--from", 1, "--to", 2, "--steps", 1), "at least 2"),
        ((dcgan_run, "--from", tmp_path / "two.npy", "--to", 2), "holds 2 latents"),
        ((dcgan_run, "--from", "x", "--to", 2), "neither a sample index nor a .npy"),
        ((cgan_run, "--from", tmp_path / "one.npy", "--to", 2), "give --label"),
    ]
    for args, message in cases:
        err = ganforge_cli("interpolate", *args, "--out", tmp_path / "w.gif", code=2).err
        assert message in err
    assert (
        "must end in .png or .gif"
        in ganforge_cli(
            "interpolate", dcgan_run, "--from", 1, "--to", 2, "--out", tmp_path / "w.mp4", code=2
        ).err
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.npy", "two.npy"]
