import numpy as np

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


def test_arithmetic_bad_input(dcgan_run, cgan_run, tmp_path, ganforge_cli):
    base = ["--a", "1", "--b", "2", "--c", "3", "--out", tmp_path / "r.png"]
    assert "give --label" in ganforge_cli("arithmetic", cgan_run, *base, code=2).err
    assert (
        "does not exist"
        in ganforge_cli("arithmetic", dcgan_run, *base[:-1], tmp_path / "no" / "r.png", code=2).err
    )
    assert (
        "must end in .npy"
        in ganforge_cli("arithmetic", dcgan_run, *base, "--save-z", tmp_path / "z.txt", code=2).err
    )
    assert list(tmp_path.iterdir()) == []
