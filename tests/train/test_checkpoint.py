"""Checkpoint files: safetensors + JSON skeleton, atomic, never unpickled."""

import os
import stat
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from ganforge.errors import GanforgeError
from ganforge.train import checkpoint as ckpt


def test_round_trip_keeps_structure(tmp_path):
    opt = torch.optim.Adam([torch.nn.Parameter(torch.randn(3))], betas=(0.5, 0.9))
    opt.param_groups[0]["params"][0].grad = torch.ones(3)
    opt.step()
    state = {
        "optim": opt.state_dict(),
        "rng": torch.get_rng_state(),
        "nested": {"tuple": (1, 2.5, "x"), "list": [torch.ones(2), None, True]},
    }
    path = tmp_path / "c.safetensors"
    ckpt.atomic_save(path, state)
    back = ckpt.load(path)
    assert back["optim"]["param_groups"][0]["betas"] == (0.5, 0.9)
    assert set(back["optim"]["state"]) == {0}  # int keys survive JSON
    assert torch.equal(
        back["optim"]["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"]
    )
    assert torch.equal(back["rng"], state["rng"])
    assert back["nested"]["tuple"] == (1, 2.5, "x")
    assert back["nested"]["list"][1] is None and back["nested"]["list"][2] is True
    opt2 = torch.optim.Adam([torch.nn.Parameter(torch.randn(3))])
    opt2.load_state_dict(back["optim"])  # what resume does
    assert not list(tmp_path.glob(".tmp-*"))


def test_foreign_and_broken_files_are_refused(tmp_path):
    other = tmp_path / "other.safetensors"
    save_file({"w": torch.ones(2)}, str(other))
    with pytest.raises(GanforgeError, match="not a readable ganforge checkpoint: .*without"):
        ckpt.load(other)
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(b"\x80\x04pickle bytes, not safetensors")
    with pytest.raises(GanforgeError, match="not a readable ganforge checkpoint"):
        ckpt.load(broken)


def _tampered(tmp_path, state_json: str | None) -> Path:
    """A checkpoint whose JSON metadata was edited by hand (tensors untouched)."""
    good = tmp_path / "good.safetensors"
    ckpt.atomic_save(good, {"nets": {"G": {"w": torch.ones(2)}}, "progress": {0: 1, 1: (2, 3)}})
    with safe_open(str(good), framework="pt") as f:
        meta = f.metadata()
    tensors = load_file(str(good))
    if state_json is None:
        del meta["state"]
    else:
        meta["state"] = state_json
    path = tmp_path / "tampered.safetensors"
    save_file(tensors, str(path), metadata=meta)
    return path


@pytest.mark.parametrize(
    "state_json,why",
    [
        ('{"nets": {"G": {"w": {"$t": "nets.G.v"}}}}', "tensor 'nets.G.v'"),  # renamed tensor
        ('{"nets": {"$t": 7}}', "tensor 7"),
        ('{"progress": {"$int": {"zero": 1}}}', "integer-keyed"),
        ('{"progress": {"$int": [1, 2]}}', "integer-keyed"),
        ('{"progress": {"$tuple": 5}}', "malformed tuple"),
        ('{"nets": {"G": ', "not valid JSON"),  # truncated
        ("[1, 2]", "not a mapping"),
        (None, "no 'state' entry"),
    ],
)
def test_tampered_metadata_is_one_line_error(tmp_path, state_json, why):
    path = _tampered(tmp_path, state_json)
    with pytest.raises(GanforgeError) as e:
        ckpt.load(path)
    message = str(e.value)
    assert message.startswith(f"{path} is not a readable ganforge checkpoint: "), message
    assert why in message and "\n" not in message, message


def test_untampered_twin_still_loads(tmp_path):
    # The tampering helper itself keeps a good file good: the errors above come from the edits.
    path = _tampered(tmp_path, None)
    good = ckpt.load(tmp_path / "good.safetensors")
    assert good["progress"] == {0: 1, 1: (2, 3)} and torch.equal(
        good["nets"]["G"]["w"], torch.ones(2)
    )
    with safe_open(str(path), framework="pt") as f:
        assert "state" not in f.metadata()


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_checkpoint_file_mode_follows_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        ckpt.atomic_save(tmp_path / "c.safetensors", {"x": torch.zeros(1)})
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "c.safetensors").stat().st_mode) == 0o666 & ~umask


def test_failed_write_leaves_no_partial_file(tmp_path):
    path = tmp_path / "c.safetensors"
    with pytest.raises(TypeError):
        ckpt.atomic_save(path, {"bad": object()})
    assert list(tmp_path.iterdir()) == []


def test_listing_and_pruning(tmp_path):
    for n in (100, 20, 3000):
        ckpt.atomic_save(tmp_path / ckpt.checkpoint_name(n), {"x": torch.zeros(1)})
    (tmp_path / "notes.txt").write_text("x")
    assert [p.name for p in ckpt.list_checkpoints(tmp_path)] == [
        ckpt.checkpoint_name(20),
        ckpt.checkpoint_name(100),
        ckpt.checkpoint_name(3000),
    ]
    ckpt.prune(tmp_path, 2)
    assert [p.name for p in ckpt.list_checkpoints(tmp_path)][0] == ckpt.checkpoint_name(100)
