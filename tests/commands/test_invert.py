import numpy as np
from PIL import Image


def test_invert_a_sample_and_reuse_its_latent(dcgan_run, tmp_path, ganforge_cli):
    ganforge_cli("sample", dcgan_run, "--n", 1, "--start", 9, "--out", tmp_path / "t")
    target = tmp_path / "t" / "000009.png"
    out = ganforge_cli(
        "invert",
        dcgan_run,
        target,
        "--steps",
        20,
        "--restarts",
        2,
        "--out",
        tmp_path / "inv.png",
        "--save-z",
        tmp_path / "z.npy",
    )
    assert "inverting" not in out.err  # no progress bar when stderr is not a terminal
    line = out.out.strip()
    mse, start = float(line.split("MSE ")[1].split()[0]), float(line.split("from ")[1].split()[0])
    assert line.startswith("reconstruction error: MSE") and mse <= start
    assert np.load(tmp_path / "z.npy").shape == (100,)
    fig = np.asarray(Image.open(tmp_path / "inv.png"))
    assert fig.shape[1] > 2 * 96  # target and reconstruction side by side, enlarged
    # The latent feeds the other commands.
    ganforge_cli(
        "arithmetic",
        dcgan_run,
        "--a",
        tmp_path / "z.npy",
        "--b",
        1,
        "--c",
        2,
        "--out",
        tmp_path / "r.png",
    )


def test_wrong_size_and_mode_are_converted_with_a_warning(dcgan_run, tmp_path, ganforge_cli):
    Image.new("RGBA", (50, 40), (10, 200, 10, 128)).save(tmp_path / "photo.png")
    out = ganforge_cli(
        "invert", dcgan_run, tmp_path / "photo.png", "--steps", 2, "--save-z", tmp_path / "z.npy"
    )
    assert "warning: photo.png is 50x40; resized" in out.err
    assert "warning: photo.png is RGBA; converted to L" in out.err


def test_invert_bad_input(dcgan_run, cgan_run, tmp_path, ganforge_cli):
    (tmp_path / "bad.png").write_bytes(b"\x89PNG garbage")
    Image.new("L", (32, 32)).save(tmp_path / "ok.png")
    cases = [
        ((dcgan_run, tmp_path / "bad.png", "--out", tmp_path / "o.png"), "not an image"),
        ((dcgan_run, tmp_path / "none.png", "--out", tmp_path / "o.png"), "does not exist"),
        ((dcgan_run, tmp_path / "ok.png"), "say where the result goes"),
        ((dcgan_run, tmp_path / "ok.png", "--save-z", tmp_path / "x" / "z.npy"), "does not exist"),
        ((cgan_run, tmp_path / "ok.png", "--out", tmp_path / "o.png"), "give the image's class"),
    ]
    for args, message in cases:
        assert message in ganforge_cli("invert", *args, code=2).err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.png", "ok.png"]


def test_progress_bar_on_a_terminal_and_its_switch(dcgan_run, tmp_path, ganforge_cli, monkeypatch):
    Image.new("L", (32, 32), 90).save(tmp_path / "t.png")
    monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
    args = ["invert", dcgan_run, tmp_path / "t.png", "--steps", 30, "--restarts", 1]
    err = ganforge_cli(*args, "--save-z", tmp_path / "a.npy").err
    assert "inverting" in err and "/30 [" in err  # the bar (its last frame depends on timing)
    err = ganforge_cli(*args, "--no-progress", "--save-z", tmp_path / "b.npy").err
    assert "inverting" not in err
