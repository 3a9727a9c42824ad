"""data/sources/captioned.py: captioned:PATH in both layouts, and the caption files as untrusted
input (escapes, malformed and duplicate lines), with what is left out listed in the report."""

import json
import os

import pytest

from ganforge.config import DataConfig
from ganforge.data import load_data
from ganforge.errors import GanforgeError
from tiny_text2image import captioned_folder


def _load(folder, **over):
    return load_data(DataConfig(source=f"captioned:{folder}", resolution=16, channels=3, **over))


def test_metadata_jsonl_gives_every_caption_of_every_image(tmp_path):
    data = _load(captioned_folder(tmp_path / "a"))
    assert len(data) == 24 and data.report["caption_layout"] == "metadata.jsonl"
    caps = dict(zip(data.ids, data.fields["captions"]))
    assert caps["sub/001.png"] == ["a green square", "green block number 1"]
    assert data.report["n_uncaptioned"] == 0 and data.report["n_missing_images"] == 0


def test_sidecar_txt_files_one_caption_a_line(tmp_path):
    data = _load(captioned_folder(tmp_path / "b", layout="txt"))
    assert data.report["caption_layout"] == "sidecar .txt"
    assert dict(zip(data.ids, data.fields["captions"]))["002.png"][0] == "a blue square"


def test_unicode_missing_empty_and_uncaptioned_images(tmp_path):
    folder = captioned_folder(tmp_path / "c", n=6)
    lines = [
        {"file_name": "000.png", "text": "un carré rouge, 赤い四角"},
        {"file_name": "sub/001.png", "text": ["   ", "green\tblock"]},
        {"file_name": "002.png", "text": ["", "  "]},  # no caption left: uncaptioned
        {"file_name": "gone.png", "text": "an image that is not there"},
    ]
    (folder / "metadata.jsonl").write_text(
        "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", encoding="utf-8"
    )
    data = _load(folder)
    caps = dict(zip(data.ids, data.fields["captions"]))
    assert caps == {"000.png": ["un carré rouge, 赤い四角"], "sub/001.png": ["green block"]}
    r = data.report
    assert r["missing_images"] == ["gone.png"] and "002.png" in r["uncaptioned"]
    assert r["n_uncaptioned"] == 4 and len(r["warnings"]) >= 2


@pytest.mark.parametrize(
    "line,message",
    [
        ('{"file_name": "/etc/passwd", "text": "x"}', "absolute"),
        ('{"file_name": "../x.png", "text": "x"}', r"leaves the folder"),
        ('{"file_name": "000.png", "text": 3}', "list of captions"),
        ('{"file_name": "000.png"}', "needs"),
        ("not json", "not a JSON object"),
        (
            '{"file_name": "000.png", "text": "a"}\n{"file_name": "./000.png", "text": "b"}',
            "repeats",
        ),
    ],
)
def test_bad_metadata_lines_are_named(tmp_path, line, message):
    folder = captioned_folder(tmp_path / "d", n=3)
    (folder / "metadata.jsonl").write_text('{"file_name": "sub/001.png", "text": "ok"}\n' + line)
    with pytest.raises(GanforgeError, match=message) as e:
        _load(folder)
    assert "line 2" in str(e.value) and "\n" not in str(e.value)


def test_a_link_that_leads_outside_the_folder_is_refused(tmp_path):
    folder = captioned_folder(tmp_path / "e", n=3)
    outside = captioned_folder(tmp_path / "outside", n=3)
    os.symlink(outside / "000.png", folder / "link.png")
    (folder / "metadata.jsonl").write_text('{"file_name": "link.png", "text": "x"}\n')
    with pytest.raises(GanforgeError, match="outside"):
        _load(folder)


def test_a_folder_without_any_caption_is_one_line(tmp_path):
    folder = captioned_folder(tmp_path / "f", n=3, layout="txt")
    for txt in folder.rglob("*.txt"):
        txt.unlink()
    with pytest.raises(GanforgeError, match="no captioned image"):
        _load(folder)
