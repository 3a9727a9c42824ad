"""text/emoji_captions.py: captions from emoji.json records, skin tones, metadata.jsonl."""

import json

import pytest

from ganforge.errors import GanforgeError
from ganforge.text.emoji_captions import (
    CaptionedFile,
    emoji_captions,
    read_emoji_json,
    record_captions,
    write_metadata,
)

RECORDS = [
    {
        "name": "WAVING HAND SIGN",
        "image": "1f44b.png",
        "short_names": ["wave"],
        "subcategory": "hand-fingers-open",
        "has_img_google": True,
        "skin_variations": {
            "1F3FD": {"image": "1f44b-1f3fd.png", "has_img_google": True},
            "1F3FB-1F3FF": {"image": "1f44b-x.png", "has_img_google": True},
            "XXXX": {"image": "bad.png"},
        },
    },
    {"name": "China Flag", "image": "1f1e8-1f1f3.png", "short_names": ["cn", "flag-cn"]},
    {"name": "Gone", "image": "gone.png", "has_img_google": False},
    {"name": "Keyworded", "image": "k.png", "keywords": ["happy", "smile"]},
]


def test_record_captions_name_short_names_and_subcategory():
    assert record_captions(RECORDS[0]) == [
        "waving hand sign",
        "wave",
        "waving hand sign, hand fingers open",
    ]
    # Codes ("cn", "flag cn") are not captions.
    assert record_captions(RECORDS[1]) == ["china flag"]
    assert record_captions(RECORDS[3]) == ["keyworded", "happy, smile"]  # title case lowered


def test_skin_tone_variants_and_missing_images():
    entries = list(emoji_captions(RECORDS))
    names = [e.file_name for e in entries]
    assert names == ["1f44b.png", "1f44b-1f3fd.png", "1f44b-x.png", "1f1e8-1f1f3.png", "k.png"]
    assert entries[1].captions[0] == "waving hand sign, medium skin tone"
    assert entries[2].captions[0] == "waving hand sign, light and dark skin tones"
    assert len(list(emoji_captions(RECORDS, skin_tones=False))) == 3


def test_write_metadata_lists_the_images_that_exist(tmp_path):
    (tmp_path / "1f44b.png").write_bytes(b"png")
    n, missing = write_metadata(tmp_path, emoji_captions(RECORDS))
    assert n == 1 and "k.png" in missing
    lines = (tmp_path / "metadata.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0]) == {
        "file_name": "1f44b.png",
        "text": list(record_captions(RECORDS[0])),
    }
    with pytest.raises(GanforgeError, match="plain file name"):
        write_metadata(tmp_path, [CaptionedFile("../evil.png", ("x",))])


def test_read_emoji_json_refuses_what_is_not_the_file(tmp_path):
    good = tmp_path / "emoji.json"
    good.write_text(json.dumps(RECORDS))
    assert read_emoji_json(good) == RECORDS
    for text in ("{", "{}", '[{"name": 1, "image": "a.png"}]'):
        good.write_text(text)
        with pytest.raises(GanforgeError):
            read_emoji_json(good)
    with pytest.raises(GanforgeError, match="cannot read"):
        read_emoji_json(tmp_path / "missing.json")
