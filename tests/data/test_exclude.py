"""data/exclude.py: the groups file of `ganforge dedup` as a data input (data.exclude)."""

from __future__ import annotations

import hashlib

import torch

from ganforge.config import DataConfig
from ganforge.data.dataset import ImageData
from ganforge.data.exclude import describe_source, source_key


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
