"""explore/dedup.py: the parts of `ganforge dedup` one at a time (radius, threshold, the outputs
and their staging, the contact sheet, the JSON); tests/commands/test_dedup.py runs it whole."""

from __future__ import annotations

import pytest
import torch

from ganforge.config import DataConfig
from ganforge.data.dataset import ImageData
from ganforge.errors import GanforgeError
from ganforge.explore import dedup as D
from ganforge.inference.encoder import Encoder
from ganforge.metrics.near_duplicates import DuplicateGroup
from ganforge.models.autoencoder import MLPAutoencoder


def test_auto_radius_and_training_length():
    assert [D.auto_radius(b) for b in (512, 256, 128, 16)] == [10, 5, 3, 1]
    assert D.autoencoder_images(60_000) == 768_000 and D.autoencoder_images(50) == 128_000
    assert D.autoencoder_images(3_000) == 300_000


@pytest.mark.parametrize("text, value", [("0", 0.0), ("0.25", 0.25), ("median", "median")])
def test_thresholds(text, value):
    assert D.parse_threshold(text) == value


@pytest.mark.parametrize("text", ["half", "nan", "inf"])
def test_bad_thresholds_are_one_line(text):
    with pytest.raises(GanforgeError, match=f"--threshold {text}"):
        D.parse_threshold(text)


def test_radius_checks():
    assert D.check_radius(None, 128) == 3 and D.check_radius(0, 8) == 0
    with pytest.raises(GanforgeError, match="--radius 9 must be from 0 to the code's 8 bits"):
        D.check_radius(9, 8)


def _encoder() -> Encoder:
    torch.manual_seed(0)
    return Encoder(MLPAutoencoder((1, 8, 8), [64]).eval().requires_grad_(False))


def _images() -> torch.Tensor:
    g = torch.Generator().manual_seed(3)
    x = torch.randint(0, 256, (10, 1, 8, 8), generator=g, dtype=torch.uint8)
    x[7] = x[2]  # an exact copy
    x[9] = (x[4].int() + 1).clamp(0, 255).to(torch.uint8)  # a near one
    return x


def test_find_groups_document_and_sheet():
    images = _images()
    data = ImageData(images, None, 0, "random", report={"split": "all"})
    found = D.find_groups(_encoder(), images, 3, 0.0)
    members = [g.members for g in found.groups]
    assert [2, 7] in members and [4, 9] in members
    assert found.left_out == len(images) - len(set(range(10)) - {7, 9}) and found.radius == 3
    doc = D.document(DataConfig(source="fashion-mnist"), data, found, {"run": "r"})
    assert doc["format"] == "ganforge-duplicate-groups" and doc["model"] == {"run": "r"}
    assert ["random#2", "random#7"] in [g["members"] for g in doc["groups"]]
    assert doc["summary"]["exact_groups"] >= 1 and doc["settings"]["code_bits"] == 64
    sheet = D.contact_sheet(images, found.groups, data.item_ids())
    assert sheet is not None and sheet.shape[2] == 1
    assert D.contact_sheet(images, []) is None


def test_the_sheet_caps_rows_and_tiles():
    images = torch.zeros(40, 1, 8, 8, dtype=torch.uint8)
    big = DuplicateGroup(list(range(30)), [0] * 30, [True] * 30)
    small = [DuplicateGroup([30 + k, 35 + k], [0, 1], [True, False]) for k in range(5)]
    one = D.contact_sheet(images, [big], rows=1, per_row=4)
    six = D.contact_sheet(images, [big, *small], rows=3, per_row=4)
    assert six.shape[0] > 2.5 * one.shape[0] and six.shape[1] == one.shape[1]


def test_short_ids():
    assert D.short_id("fashion-mnist/train#123") == "#123" and D.short_id("a/b/c.png") == "c.png"


def test_staged_outputs_new_existing_and_failed(tmp_path):
    new = tmp_path / "a" / "new"
    with D.staged_outputs(new) as tmp:
        (tmp / "groups.json").write_text("{}")
        (tmp / "autoencoder").mkdir()
    assert sorted(p.name for p in new.iterdir()) == ["autoencoder", "groups.json"]
    with D.staged_outputs(new) as tmp:  # into an existing folder: entries replaced
        (tmp / "autoencoder").mkdir()
        (tmp / "autoencoder" / "x").write_text("2")
    assert (new / "autoencoder" / "x").read_text() == "2" and (new / "groups.json").is_file()
    failed = tmp_path / "failed"
    with pytest.raises(RuntimeError), D.staged_outputs(failed) as tmp:
        (tmp / "groups.json").write_text("{}")
        raise RuntimeError("interrupted")
    assert not failed.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["a"]
    with pytest.raises(RuntimeError), D.staged_outputs(new) as tmp:
        (tmp / "groups.json").write_text("half")
        raise RuntimeError("interrupted")
    assert (new / "groups.json").read_text() == "{}"  # the older output stays whole
    assert sorted(p.name for p in new.iterdir()) == ["autoencoder", "groups.json"]


def test_check_out_and_not_inside_the_source(tmp_path):
    D.check_out(tmp_path / "new", force=False)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "f").write_text("x")
    with pytest.raises(GanforgeError, match="is not empty: pick a new folder, or --force"):
        D.check_out(tmp_path / "full", force=False)
    D.check_out(tmp_path / "full", force=True)
    cfg = DataConfig(source=f"folder:{tmp_path}")
    with pytest.raises(GanforgeError, match="inside the source folder"):
        D.check_not_inside(tmp_path / "dups", cfg)
    D.check_not_inside(tmp_path.parent / "elsewhere", cfg)
    D.check_not_inside(tmp_path / "dups", DataConfig(source="fashion-mnist"))


def test_native_channels_and_the_resize_note():
    cfg = DataConfig(source="fashion-mnist", split="test", resolution=32)
    data = ImageData(torch.zeros(2, 1, 32, 32, dtype=torch.uint8), None, 0, "x")
    data.report["original_shape"] = [1, 28, 28]
    assert D.native_channels(cfg, data)[0] == 1
    assert D.resized_note(cfg, data) == (
        "fashion-mnist's 28x28 images are resized to the autoencoder's 32x32"
    )
    data.report["original_shape"] = [3, 32, 32]
    assert D.native_channels(cfg, data)[0] == 3 and D.resized_note(cfg, data) is None
