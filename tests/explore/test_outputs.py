"""explore/outputs.py: output paths checked before any work, files written whole or not at all."""

import numpy as np
import pytest
from PIL import Image

from ganforge.errors import GanforgeError
from ganforge.explore import outputs as O


def test_check_output_wants_a_known_suffix_in_an_existing_folder(tmp_path):
    assert O.check_output(tmp_path / "a.PNG", (".png", ".gif")) == tmp_path / "a.PNG"
    with pytest.raises(
        GanforgeError, match=r"^--out .*a\.jpg: the name must end in \.png or \.gif, not \.jpg$"
    ):
        O.check_output(tmp_path / "a.jpg", (".png", ".gif"))
    with pytest.raises(GanforgeError, match=r"the name must end in \.npz$"):
        O.check_output(tmp_path / "points", (".npz",), "--save")
    with pytest.raises(
        GanforgeError, match="folder .*missing does not exist \\(create it first\\)"
    ):
        O.check_output(tmp_path / "missing" / "a.png", (".png",))
    (tmp_path / "d.png").mkdir()
    with pytest.raises(GanforgeError, match="d.png is a folder: give a file name"):
        O.check_output(tmp_path / "d.png", (".png",))
    assert list(tmp_path.iterdir()) == [tmp_path / "d.png"]  # checking writes nothing


def test_check_output_folder_takes_a_new_or_empty_folder(tmp_path):
    assert O.check_output_folder(tmp_path / "new") == tmp_path / "new"
    (tmp_path / "empty").mkdir()
    O.check_output_folder(tmp_path / "empty")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    for taken in ("full", "full/x"):
        with pytest.raises(GanforgeError, match="already exists and is not an empty folder"):
            O.check_output_folder(tmp_path / taken)
    with pytest.raises(GanforgeError, match="does not exist \\(create it first\\)"):
        O.check_output_folder(tmp_path / "no" / "new")


def test_arrays_round_trip_without_pickles(tmp_path):
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    O.save_npy(tmp_path / "z.npy", a)
    assert np.array_equal(np.load(tmp_path / "z.npy", allow_pickle=False), a)
    O.save_npz(tmp_path / "s.npz", z=a, labels=np.array([1, 2]))
    with np.load(tmp_path / "s.npz", allow_pickle=False) as f:
        assert np.array_equal(f["z"], a) and f["labels"].tolist() == [1, 2]


def test_a_png_folder_appears_only_when_complete(tmp_path, monkeypatch):
    images = np.zeros((3, 4, 4, 1), np.uint8)
    images[1] = 255
    (tmp_path / "out").mkdir()  # an empty folder, as check_output_folder allows
    O.save_png_folder(tmp_path / "out", images, ["a", "b", "c"])
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "b.png", "c.png"]
    assert np.asarray(Image.open(tmp_path / "out" / "b.png")).min() == 255
    calls, real = [], O.save_png

    def fail_on_second(path, array):
        calls.append(path)
        if len(calls) == 2:
            raise KeyboardInterrupt  # e.g. Ctrl-C half way
        real(path, array)

    monkeypatch.setattr(O, "save_png", fail_on_second)
    with pytest.raises(KeyboardInterrupt):
        O.save_png_folder(tmp_path / "half", images, ["a", "b", "c"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no folder, no temp folder
