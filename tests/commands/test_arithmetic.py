import numpy as np
from PIL import Image

from ganforge.explore import latents as L


def test_arithmetic_from_indices_and_files(dcgan_run, tmp_path, ganforge_cli):
    np.save(tmp_path / "c.npy", L.latents(7, [11, 24], 100).numpy())
    ganforge_cli(
        "arithmetic",
        dcgan_run,
        "--seed",
        7,
        "--a",
        "3,18,52",
        "--b",
        "7,9,60",
        "--c",
        tmp_path / "c.npy",
        "--out",
        tmp_path / "r.png",
        "--save-z",
        tmp_path / "r.npy",
    )
    z = np.load(tmp_path / "r.npy")
    want = (
        L.latents(7, [3, 18, 52], 100).mean(0)
        - L.latents(7, [7, 9, 60], 100).mean(0)
        + L.latents(7, [11, 24], 100).mean(0)
    )
    np.testing.assert_allclose(z, want.numpy(), atol=1e-6)
    assert (tmp_path / "r.png").stat().st_size > 0


def test_conditional_exemplars_keep_the_class_the_sheet_shows(
    cgan_run, tmp_path, ganforge_cli, tile_x
):
    ganforge_cli("sample", cgan_run, "--n", 20, "--seed", 7, "--out", tmp_path / "s.npz")
    images = np.load(tmp_path / "s.npz")["images"][..., 0]  # sample i has class i mod 10
    base = ["--seed", 7, "--a", "3,18", "--b", "7", "--c", "11,4"]
    ganforge_cli("arithmetic", cgan_run, *base, "--out", tmp_path / "own.png")
    fig = np.asarray(Image.open(tmp_path / "own.png"))
    found = [tile_x(fig, images[i], top=4) for i in (3, 18)]  # row "a" starts at y = 4
    assert all(len(f) == 1 for f in found) and found[0][0] + 68 == found[1][0]
    # --label draws every image with one class: exemplar 18 (class 8) is then another image.
    ganforge_cli("arithmetic", cgan_run, *base, "--label", 3, "--out", tmp_path / "three.png")
    fig3 = np.asarray(Image.open(tmp_path / "three.png"))
    assert len(tile_x(fig3, images[3], top=4)) == 1 and tile_x(fig3, images[18], top=4) == []


def test_truncation_note_for_saved_latents(dcgan_run, tmp_path, ganforge_cli):
    np.save(tmp_path / "z.npy", L.latents(0, [1, 2], 100).numpy())
    args = ["--a", tmp_path / "z.npy", "--b", tmp_path / "z.npy", "--c", 3, "--neighbours", 0]
    err = ganforge_cli(
        "arithmetic", dcgan_run, *args, "--truncation", 0.7, "--out", tmp_path / "r.png"
    ).err
    assert err.count("note: --truncation applies to sample indices only") == 1


def test_arithmetic_bad_input(dcgan_run, cgan_run, tmp_path, ganforge_cli):
    base = ["--a", "1", "--b", "2", "--c", "3", "--out", tmp_path / "r.png"]
    np.save(tmp_path.parent / "z_cond.npy", np.zeros(100, np.float32))
    npy = ["--a", tmp_path.parent / "z_cond.npy", *base[2:]]
    assert (
        "of --a carries no class: give --label"
        in ganforge_cli("arithmetic", cgan_run, *npy, code=2).err
    )
    huge = ["--a", 1, "--b", 2, "--c", "99999999999999999999999", "--out", tmp_path / "r.png"]
    assert (
        "--c sample index 99999999999999999999999 is too large"
        in ganforge_cli("arithmetic", dcgan_run, *huge, code=2).err
    )
    assert (
        "--b '-1' is neither a sample index nor a .npy file"
        in ganforge_cli(
            "arithmetic",
            dcgan_run,
            "--a",
            1,
            "--b",
            "-1",
            "--c",
            3,
            "--out",
            tmp_path / "r.png",
            code=2,
        ).err
    )
    for flag, value, message in [
        ("--noise", "nan", "--noise nan must be a non-negative number"),
        ("--noise", "-1", "--noise -1.0 must be a non-negative number"),
        ("--neighbours", "1000", "--neighbours 1000 must be between 0 and 64"),
    ]:
        assert message in ganforge_cli("arithmetic", dcgan_run, *base, flag, value, code=2).err
    assert (
        "does not exist"
        in ganforge_cli("arithmetic", dcgan_run, *base[:-1], tmp_path / "no" / "r.png", code=2).err
    )
    assert (
        "must end in .npy"
        in ganforge_cli("arithmetic", dcgan_run, *base, "--save-z", tmp_path / "z.txt", code=2).err
    )
    assert list(tmp_path.iterdir()) == []
