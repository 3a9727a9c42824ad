"""Checkpoint files: safetensors + JSON skeleton, atomic, never unpickled."""

import os
import stat
import struct
import threading
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from ganforge.atomic import TEMP_PREFIX
from ganforge.errors import GanforgeError
from ganforge.train import checkpoint as ckpt

LEGACY = Path(__file__).parents[1] / "fixtures" / "legacy"


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
    assert [p.name for p in tmp_path.iterdir()] == ["c.safetensors"]  # no temporary file left


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
        ('{"n": ' + "9" * 5000 + "}", "not valid JSON"),  # more digits than Python converts
        ('{"a": ' * 100 + "1" + "}" * 100, "nested over 64 levels"),
        ("[" * 100_000 + "]" * 100_000, "not valid JSON"),  # deeper than the parser recurses
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


def test_only_ganforge_names_its_temporary_files(tmp_path):
    # safetensors.torch.save_file writes through a ".tmpXXXXXX" file of its own, which kill -9
    # left behind; the checkpoint is now serialised in memory and written under our name only.
    names: set[str] = set()
    done = threading.Event()

    def watch():
        while not done.is_set():
            names.update(os.listdir(tmp_path))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for i in range(3):  # 40 MB each: long enough for the watcher to see the temporary file
            ckpt.atomic_save(tmp_path / f"c{i}.safetensors", {"w": torch.zeros(10_000_000)})
    finally:
        done.set()
        watcher.join()
    temporary = names - {f"c{i}.safetensors" for i in range(3)}
    assert temporary and all(n.startswith(TEMP_PREFIX) for n in temporary), temporary


def test_oversized_metadata_is_refused_before_parsing(tmp_path, monkeypatch):
    huge = tmp_path / "huge.safetensors"
    huge.write_bytes(struct.pack("<Q", 10**12) + b"{}")  # claims a 1 TB header
    with pytest.raises(GanforgeError, match="header is 1,000,000,000,000 bytes, over the"):
        ckpt.load(huge)
    path = _tampered(
        tmp_path, '{"nets": {"G": {"w": {"$t": "nets.G.w"}}}, "pad": "' + "x" * 200 + '"}'
    )
    assert ckpt.load(path)["pad"] == "x" * 200
    monkeypatch.setattr(ckpt, "MAX_STATE_BYTES", 100)
    with pytest.raises(GanforgeError, match="state metadata is 2[0-9]{2} characters, over the 100"):
        ckpt.load(path)


@pytest.mark.parametrize("run", ["dcgan", "cyclegan"])
def test_real_checkpoints_are_within_the_bounds(run):
    (path,) = sorted((LEGACY / run / "checkpoints").glob("ckpt-*.safetensors"))
    state = ckpt.load(path)
    assert isinstance(state, dict) and state


def test_runs_past_a_trillion_images_still_sort_and_prune_by_count(tmp_path):
    counts = (999_999_999_936, 1_000_000_000_000, 12_000_000_000_000)
    for n in counts:
        ckpt.atomic_save(tmp_path / ckpt.checkpoint_name(n), {"x": torch.zeros(1)})
    assert [ckpt.images_of(p) for p in ckpt.list_checkpoints(tmp_path)] == list(counts)
    ckpt.prune(tmp_path, 1)
    assert [p.name for p in tmp_path.iterdir()] == [ckpt.checkpoint_name(counts[-1])]


def test_a_negative_count_is_never_a_file_name():
    for bad in (-392, True, 1.5):
        with pytest.raises(ValueError, match="count of images"):
            ckpt.checkpoint_name(bad)
    assert ckpt.images_of(Path("ckpt--00000000392.safetensors")) is None


def test_pruning_never_removes_the_checkpoint_just_written(tmp_path):
    """Should a stale higher-numbered file be there, the one just written is kept all the same."""
    for n in (5000, 100):
        ckpt.atomic_save(tmp_path / ckpt.checkpoint_name(n), {"x": torch.zeros(1)})
    removed = ckpt.prune(tmp_path, 1, newest=tmp_path / ckpt.checkpoint_name(100))
    assert removed == [] and len(list(tmp_path.iterdir())) == 2
