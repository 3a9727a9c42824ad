"""Image files and the atomic writes under them: whole files only, with an ordinary file's mode."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.atomic import atomic_path, current_umask, default_file_mode
from ganforge.explore.outputs import save_png_folder
from ganforge.images import atomic_write_bytes, make_grid, save_grid, save_png


@pytest.fixture(params=[0o022, 0o027, 0o002])
def umask(request):
    """Run the test under a given umask, restoring the old one after."""
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_current_umask_is_read_without_changing_it(umask):
    assert current_umask() == umask
    assert current_umask() == umask  # reading it did not reset it
    assert default_file_mode() == 0o666 & ~umask


def test_atomic_files_get_the_umask_mode_not_mkstemps_0600(tmp_path, umask):
    expected = 0o666 & ~umask  # 0644, 0640, 0664: never mkstemp's private 0600
    atomic_write_bytes(tmp_path / "a.json", b"{}")
    save_png(tmp_path / "b.png", np.zeros((4, 4, 1), np.uint8))
    with atomic_path(tmp_path / "c.onnx") as tmp:
        tmp.write_bytes(b"model")
    for name in ("a.json", "b.png", "c.onnx"):
        assert _mode(tmp_path / name) == expected, (name, oct(_mode(tmp_path / name)))
    # Same mode as a plain open() would give: the atomic write is invisible to users.
    (tmp_path / "plain").write_bytes(b"x")
    assert _mode(tmp_path / "plain") == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.png", "c.onnx", "plain"]


def test_png_folder_gets_the_umask_modes(tmp_path, umask):
    out = tmp_path / "pngs"
    save_png_folder(out, np.zeros((2, 4, 4, 1), np.uint8), ["x", "y"])
    assert _mode(out) == 0o777 & ~umask
    assert {_mode(p) for p in out.iterdir()} == {0o666 & ~umask}


def test_failed_atomic_write_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "model.pt") as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("writer failed")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "old.png").write_bytes(b"previous")
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "old.png") as tmp:
        raise RuntimeError("writer failed")
    assert (tmp_path / "old.png").read_bytes() == b"previous"  # the old file survives


def test_grid_layout_and_png_round_trip(tmp_path):
    images = torch.arange(4, dtype=torch.uint8).view(4, 1, 1, 1).expand(4, 1, 2, 2).contiguous()
    grid = make_grid(images, nrow=2, pad=1)
    assert grid.shape == (7, 7, 1)
    assert grid[1, 1, 0] == 0 and grid[1, 4, 0] == 1 and grid[4, 1, 0] == 2 and grid[4, 4, 0] == 3
    assert grid[0, :, 0].tolist() == [0] * 7  # padding
    save_grid(tmp_path / "g.png", images * 60, nrow=2)
    back = np.asarray(Image.open(tmp_path / "g.png"))
    assert back.shape == (2 * 2 + 3 * 2, 2 * 2 + 3 * 2) and back.max() == 180
