"""Checkpoint files: safetensors + JSON skeleton, atomic, never unpickled."""

import pytest
import torch
from safetensors.torch import save_file

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
    with pytest.raises(GanforgeError, match="not a ganforge checkpoint"):
        ckpt.load(other)
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(b"\x80\x04pickle bytes, not safetensors")
    with pytest.raises(GanforgeError, match="not a readable checkpoint"):
        ckpt.load(broken)


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
