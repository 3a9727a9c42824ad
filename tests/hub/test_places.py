"""Which place a name is: pretrained:, hf:, a model folder, or a run folder (None)."""

from __future__ import annotations

import pytest

from ganforge.errors import GanforgeError
from ganforge.hub.places import is_place, open_place


def test_names_and_folders_are_told_apart(hub_folder, dcgan_run, tmp_path):
    assert is_place("pretrained:x") and is_place("hf:u/n") and is_place(hub_folder)
    assert not is_place(dcgan_run) and not is_place(tmp_path)
    assert open_place(dcgan_run) is None  # a run folder: load_run's own business
    assert open_place(tmp_path) is None  # an empty folder: load_run says it is no run
    assert open_place(hub_folder).network == "G"


def test_a_bare_folder_of_pickles_is_refused(tmp_path):
    (tmp_path / "model.ckpt").write_bytes(b"\x80\x04")
    with pytest.raises(GanforgeError, match=r"pickled weights \(model.ckpt\)"):
        open_place(tmp_path)
