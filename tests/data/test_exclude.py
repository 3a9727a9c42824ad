"""data/exclude.py: the groups file of `ganforge dedup` as a data input (data.exclude)."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.config import DataConfig
from ganforge.data import load_data
from ganforge.data.dataset import ImageData
from ganforge.data.exclude import FORMAT, describe_source, read_exclusion, source_key
from ganforge.errors import GanforgeError


def test_a_source_has_one_spelling(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "imgs").mkdir()
    assert (
        source_key("folder:imgs")
        == source_key(f"folder:{tmp_path}/imgs/")
        == (f"folder:{(tmp_path / 'imgs').resolve()}")
    )
    assert source_key(" fashion-mnist ") == "fashion-mnist"


def test_describe_source_records_the_split_read_and_digests():
    images = torch.arange(2 * 3 * 4, dtype=torch.uint8).view(2, 1, 3, 4)
    data = ImageData(images, None, 0, "fashion-mnist", report={"split": "test"}, ids=["a", "b"])
    got = describe_source(DataConfig(source="fashion-mnist", split="train"), data)
    assert got["source"] == "fashion-mnist" and got["split"] == "test" and got["n_items"] == 2
    assert got["ids_sha256"] == hashlib.sha256(b"a\nb").hexdigest()
    assert got["pixels_sha256"] == hashlib.sha256(images.numpy().tobytes()).hexdigest()
    assert got["shape"] == [1, 3, 4]


# --------------------------------------------------------------------------- reading it back


def _groups_file(path, source, groups, split="test", **extra):
    doc = {
        "format": FORMAT,
        "version": 1,
        "source": {"source": source, "split": split},
        "groups": [{"members": g} for g in groups],
        **extra,
    }
    path.write_text(json.dumps(doc))
    return path


def _fm(i: int) -> str:
    return f"fashion-mnist/test#{i}"


def test_a_canonical_set_is_cleaned_before_max_images_and_the_report_says_why(tmp_path):
    path = tmp_path / "g.json"
    doc = {
        "format": FORMAT,
        "version": 1,
        "source": {"source": "fashion-mnist", "split": "test"},
        "groups": [
            {"members": [_fm(1), _fm(3), _fm(20)], "distances": [0, 0, 4], "same_pixels": [1, 1, 0]}
        ],
    }
    path.write_text(json.dumps(doc))
    cfg = DataConfig(source="fashion-mnist", split="test", max_images=5, exclude=str(path))
    data = load_data(cfg)
    assert data.item_ids() == [_fm(i) for i in (0, 1, 2, 4, 5)]  # #3 left out, then 5 taken
    full = load_data(DataConfig(source="fashion-mnist", split="test"))
    assert torch.equal(data.images[3], full.images[4])
    rec = data.report["exclude"]
    assert rec["left_out"] == 2 and rec["groups"] == 1 and rec["items_before"] == 10_000
    assert rec["items"] == [
        {"id": _fm(3), "reason": f"same pixels as {_fm(1)}"},
        {"id": _fm(20), "reason": f"near duplicate of {_fm(1)} (Hamming distance 4)"},
    ]
    assert rec["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert any("data.exclude: left out 2 duplicate image(s)" in w for w in data.report["warnings"])


def _folder(root, n=6):
    root.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)).save(root / f"{i}.png")
    return root


def test_a_folder_is_cleaned_before_its_limit_and_its_cache(tmp_path, monkeypatch):
    from ganforge.data.sources import folder as folder_mod

    monkeypatch.setattr(folder_mod, "CACHE_MIN_FILES", 1)  # cache even this small folder
    root = _folder(tmp_path / "imgs")
    path = _groups_file(tmp_path / "g.json", f"folder:{root}", [["0.png", "1.png", "2.png"]], "all")
    base = {"source": f"folder:{root}", "resolution": 8, "channels": 3, "cache_dir": str(tmp_path)}
    cleaned = load_data(DataConfig(**base, exclude=str(path), max_images=3))
    # the limit chose 3 of the 4 files left (evenly), never one of the left-out ones
    assert len(cleaned) == 3 and not {"1.png", "2.png"} & set(cleaned.item_ids())
    assert cleaned.report["exclude"]["left_out"] == 2 and cleaned.report["cache"]["hit"] is False
    again = load_data(DataConfig(**base, exclude=str(path), max_images=3))
    assert again.report["cache"]["hit"] is True and again.item_ids() == cleaned.item_ids()
    assert again.report["exclude"]["left_out"] == 2
    whole = load_data(DataConfig(**base, max_images=3))  # another cache entry: not the cleaned one
    assert whole.report["cache"]["hit"] is False and "exclude" not in whole.report
    _groups_file(path, f"folder:{root}", [["0.png", "1.png"]], "all")  # edited: another key
    edited = load_data(DataConfig(**base, exclude=str(path)))
    assert edited.report["cache"]["hit"] is False and len(edited) == 5


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not JSON"),
        ("[]", "its format is not 'ganforge-duplicate-groups'"),
        (json.dumps({"format": FORMAT, "version": 2}), "version 2; this ganforge reads 1"),
        (json.dumps({"format": FORMAT, "version": 1, "groups": []}), "no source it was made for"),
        (
            json.dumps({"format": FORMAT, "version": 1, "source": {"source": "x", "split": "t"}}),
            "no list of groups",
        ),
    ],
)
def test_malformed_files_are_one_line(content, message, tmp_path):
    path = tmp_path / "g.json"
    path.write_text(content)
    with pytest.raises(GanforgeError, match=message) as e:
        read_exclusion(str(path), DataConfig(source="fashion-mnist"))
    assert "\n" not in str(e.value) and "is not a groups file of `ganforge dedup`" in str(e.value)


@pytest.mark.parametrize(
    "groups, extra, message",
    [
        ([[_fm(1)]], {}, "group 0 has no list of two or more distinct item ids"),
        ([[_fm(1), _fm(1)]], {}, "group 0 has no list of two or more distinct item ids"),
        ([[_fm(1), 5]], {}, "group 0 has no list"),
        ([[_fm(1), _fm(2)], [_fm(2), _fm(3)]], {}, "is in two groups"),
    ],
)
def test_malformed_groups_are_one_line(groups, extra, message, tmp_path):
    path = _groups_file(tmp_path / "g.json", "fashion-mnist", groups, **extra)
    with pytest.raises(GanforgeError, match=message):
        read_exclusion(str(path), DataConfig(source="fashion-mnist"))


def test_bad_distances_are_one_line(tmp_path):
    path = tmp_path / "g.json"
    group = {"members": [_fm(1), _fm(2)], "distances": [0]}
    path.write_text(
        json.dumps(
            {
                "format": FORMAT,
                "version": 1,
                "source": {"source": "fashion-mnist", "split": "t"},
                "groups": [group],
            }
        )
    )
    with pytest.raises(GanforgeError, match="group 0's distances are not one count per member"):
        read_exclusion(str(path), DataConfig(source="fashion-mnist"))


def test_files_for_another_source_split_or_items_are_refused(tmp_path):
    root = _folder(tmp_path / "imgs")
    other = _groups_file(tmp_path / "o.json", "folder:/elsewhere", [["0.png", "1.png"]], "all")
    with pytest.raises(GanforgeError, match="was made for folder:/elsewhere, not for data.source"):
        load_data(DataConfig(source=f"folder:{root}", resolution=8, exclude=str(other)))
    train = _groups_file(tmp_path / "t.json", "fashion-mnist", [[_fm(1), _fm(2)]], "train")
    with pytest.raises(GanforgeError, match="made for the train split of fashion-mnist; this"):
        load_data(DataConfig(source="fashion-mnist", split="test", exclude=str(train)))
    gone = _groups_file(tmp_path / "m.json", f"folder:{root}", [["0.png", "9.png"]], "all")
    with pytest.raises(
        GanforgeError, match=r"names 1 item\(s\) that image folder .* does not hold"
    ):
        load_data(DataConfig(source=f"folder:{root}", resolution=8, exclude=str(gone)))
    with pytest.raises(GanforgeError, match="data.exclude=nowhere.json: no such file"):
        load_data(DataConfig(source="fashion-mnist", exclude="nowhere.json"))
    with pytest.raises(GanforgeError, match="data.exclude cleans image sets"):
        load_data(DataConfig(source="edges2fashion", exclude=str(train)), kinds=("pairs",))
