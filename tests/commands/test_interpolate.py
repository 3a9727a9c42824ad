import numpy as np
from PIL import Image, ImageSequence


def test_strip_ends_on_the_sheet_samples(dcgan_run, tmp_path, ganforge_cli, tile_x):
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
    assert strip.shape[1] == 4 + 5 * 68  # five frames enlarged 2x, 4 px apart
    assert tile_x(strip, images[12], top=4) == [4]  # the first frame is sample 12 ...
    assert tile_x(strip, images[40], top=4) == [4 + 4 * 68]  # ... the last is sample 40
    assert np.abs(images[12].astype(int) - images[40]).mean() > 20  # and those differ


def test_a_conditional_walk_ends_on_the_sheet_samples_classes_included(
    cgan_run, tmp_path, ganforge_cli, tile_x
):
    ganforge_cli("sample", cgan_run, "--n", 42, "--seed", 5, "--out", tmp_path / "s.npz")
    args = ["--from", 12, "--to", 41, "--steps", 4, "--seed", 5]
    err = ganforge_cli("interpolate", cgan_run, *args, "--out", tmp_path / "walk.png").err
    assert "from #12 (class 2) to #41 (class 1)" in err
    strip = np.asarray(Image.open(tmp_path / "walk.png"))
    data = np.load(tmp_path / "s.npz")
    images, y = data["images"][..., 0], data["y"]
    assert (y[12], y[41]) == (2, 1)
    assert tile_x(strip, images[12], top=4) == [4]
    assert tile_x(strip, images[41], top=4) == [4 + 3 * 68]
    # With --label the whole walk has one class: its last frame is not sample 41 any more.
    ganforge_cli("interpolate", cgan_run, *args, "--label", 2, "--out", tmp_path / "fixed.png")
    fixed = np.asarray(Image.open(tmp_path / "fixed.png"))
    assert tile_x(fixed, images[12], top=4) == [4] and tile_x(fixed, images[41], top=4) == []


def test_truncation_note_and_scale(dcgan_run, tmp_path, ganforge_cli):
    np.save(tmp_path / "z.npy", np.zeros(100, np.float32))
    base = ["--from", tmp_path / "z.npy", "--to", 3, "--steps", 3]
    err = ganforge_cli(
        "interpolate", dcgan_run, *base, "--truncation", 0.5, "--out", tmp_path / "w.png"
    ).err
    notes = [ln for ln in err.splitlines() if ln.startswith("note:")]
    assert notes == [
        "note: --truncation applies to sample indices only; .npy latents are used as saved"
    ]
    assert (
        "note:"
        not in ganforge_cli("interpolate", dcgan_run, *base, "--out", tmp_path / "v.png").err
    )
    ganforge_cli("interpolate", dcgan_run, *base, "--scale", 1, "--out", tmp_path / "s1.png")
    assert np.asarray(Image.open(tmp_path / "s1.png")).shape[1] == 4 + 3 * 36


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
        ((cgan_run, "--from", tmp_path / "one.npy", "--to", 2), "of --from carries no class"),
        ((dcgan_run, "--from", 1, "--to", 2, "--scale", -2), "--scale -2 must be 0 (automatic)"),
        ((dcgan_run, "--from", 1, "--to", 10**20), "--to sample index 1000"),
        ((dcgan_run, "--from", 1, "--to", 2, "--frame-ms", 0), "--frame-ms 0 must be at least 1"),
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
