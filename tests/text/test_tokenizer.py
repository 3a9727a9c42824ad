"""text/tokenizer.py: normalisation, splitting, ids, lossy input reported, the tokenizer.json file."""

import json

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.text.tokenizer import (
    MAX_FILE_BYTES,
    PAD_ID,
    UNK_ID,
    WordTokenizer,
    normalize,
    split_words,
    words_of,
)

CAPTIONS = ["A dark pair of TROUSERS!", "a light t-shirt, plain", "a dark coat", "a dark coat"]


def test_normalisation_is_nfkc_then_lower_case():
    assert normalize("ＴＲＯＵＳＥＲＳ") == "trousers"  # full-width letters
    assert normalize("ﬁne") == "fine"  # ligature
    assert normalize("Cafe\u0301") == "café"  # combining accent composed
    # Per character, as Hugging Face's Lowercase: no final-sigma rule (str.lower gives "σοφος").
    assert normalize("ΣΟΦΟΣ") == "σοφοσ"


def test_words_and_punctuation_are_split_apart():
    assert split_words("dark,wide!! t-shirt") == ["dark", ",", "wide", "!!", "t", "-", "shirt"]
    assert split_words("  \t\n ") == []
    assert words_of("Naïve\u00a0CAFÉ") == ["naïve", "café"]  # no-break space is white space
    assert split_words("a b c d e", limit=2) == ["a", "b"]


def test_build_counts_words_with_min_count_and_max_size():
    tok = WordTokenizer.build(CAPTIONS, min_count=2, max_length=8)
    # "a" (4), "dark" (3), "coat" (2): most frequent first; once-seen words are left out.
    assert tok.words == ["[PAD]", "[UNK]", "a", "dark", "coat"]
    assert WordTokenizer.build(CAPTIONS, max_size=3).words == ["[PAD]", "[UNK]", "a"]
    assert WordTokenizer.build(CAPTIONS).words == WordTokenizer.build(CAPTIONS[::-1]).words


def test_encode_pads_truncates_and_reports_what_was_lost():
    tok = WordTokenizer.build(CAPTIONS, max_length=4)
    enc = tok.encode(["a dark coat", "a very dark coat of wool", "", "  !?"])
    assert enc.ids.shape == (4, 4) and enc.ids.dtype == torch.long
    assert enc.ids[0].tolist()[3] == PAD_ID and enc.lengths.tolist() == [3, 4, 0, 1]
    assert enc.ids[1].tolist().count(UNK_ID) == 1  # "very"; "of wool" truncated away
    assert enc.truncated == [1] and enc.empty == [2] and dict(enc.unknown) == {"very": 1, "!?": 1}
    assert enc.mask.tolist()[0] == [True, True, True, False]
    notes = enc.notes()
    assert len(notes) == 3 and "kept the first 4" in notes[0] and "'very'" in notes[1]
    assert tok.decode(enc.ids[:1]) == ["a dark coat"]


def test_a_huge_prompt_costs_no_more_than_its_start():
    tok = WordTokenizer.build(CAPTIONS, max_length=4)
    enc = tok.encode(["dark " * 200_000])
    assert enc.truncated == [0] and enc.lengths.tolist() == [4]


def test_save_and_load_round_trip(tmp_path):
    tok = WordTokenizer.build(CAPTIONS + ["ünïcode wörds"], max_length=6)
    tok.save(tmp_path / "tokenizer.json")
    back = WordTokenizer.load(tmp_path / "tokenizer.json")
    assert back.words == tok.words and back.max_length == 6
    texts = ["a Dark coat", "wörds unseen"]
    assert torch.equal(back.encode(texts).ids, tok.encode(texts).ids)


def _edit(tok, change):
    data = tok.to_dict()
    change(data)
    return json.dumps(data)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["model"]["vocab"].update({"extra": 99}),  # ids not 0..V-1
        lambda d: d["model"]["vocab"].update({"a": True}),  # a bool id
        lambda d: d["model"]["vocab"].pop("[PAD]"),
        lambda d: d["model"]["vocab"].update({"two words": len(d["model"]["vocab"])}),
        lambda d: d["model"]["vocab"].update({"UPPER": len(d["model"]["vocab"])}),
        lambda d: d["model"].update(type="BPE"),
        lambda d: d.update(normalizer=None),
        lambda d: d["truncation"].update(max_length=10**6),
        lambda d: d["padding"].update(strategy="BatchLongest"),
        lambda d: d.update(model=[1, 2]),
    ],
)
def test_malformed_files_are_refused(change):
    tok = WordTokenizer.build(CAPTIONS)
    with pytest.raises(GanforgeError, match="not a ganforge word-level tokenizer"):
        WordTokenizer.from_json(_edit(tok, change))


def test_invalid_json_duplicate_keys_and_huge_files_are_refused(tmp_path):
    with pytest.raises(GanforgeError, match="not valid JSON"):
        WordTokenizer.from_json("{not json")
    with pytest.raises(GanforgeError, match="duplicate key"):
        WordTokenizer.from_json('{"model": 1, "model": 2}')
    with pytest.raises(GanforgeError, match="not a ganforge"):
        WordTokenizer.from_json("[]")
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (MAX_FILE_BYTES + 1))
    with pytest.raises(GanforgeError, match="larger than"):
        WordTokenizer.load(big)
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe")
    with pytest.raises(GanforgeError, match="not UTF-8"):
        WordTokenizer.load(binary)
    with pytest.raises(GanforgeError, match="cannot read"):
        WordTokenizer.load(tmp_path / "missing.json")


def test_hugging_face_tokenizers_reads_the_file_and_gives_the_same_ids():
    tokenizers = pytest.importorskip("tokenizers")
    texts = CAPTIONS + [
        "Ｆｕｌｌ-width ﬁne Café, naïve — ok...",
        "x² ½ Ⓐ \u00a0 tabs\tand\nlines",
        "ΣΟΦΟΣ Straße İstanbul",
        "emoji 👖🙂 mixed_under_score 3.5",
        "",
        "one two three four five six seven eight nine ten",
    ]
    tok = WordTokenizer.build(texts, max_length=8)
    hf = tokenizers.Tokenizer.from_str(tok.to_json())
    ours = tok.encode(texts).ids.tolist()
    assert [hf.encode(t).ids for t in texts] == ours
