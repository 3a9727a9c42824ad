"""text/fashion_captions.py: wording, the held-out split, reading captions back, agreement."""

import random

import pytest
import torch

from ganforge.text.fashion_captions import (
    ATTRIBUTE_WORDS,
    CLASS_WORDS,
    HELD_OUT_TEMPLATES,
    TRAIN_TEMPLATES,
    CaptionTargets,
    agreement,
    caption,
    caption_targets,
    make_captions,
)
from ganforge.text.fashion_properties import PROPERTIES, Thresholds
from ganforge.text.tokenizer import words_of

# The only tokens training and held-out captions may share: articles, "and", "is", commas.
FUNCTION_WORDS = {"a", "an", "and", "is", ","}


def _all_named(n: int, seed: int = 0) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(10, (n,), generator=g)
    named = {p: torch.randint(-1, 2, (n,), generator=g).to(torch.int8) for p in PROPERTIES}
    return labels, named


def _tokens(captions: list[list[str]]) -> set[str]:
    return {w for caps in captions for c in caps for w in words_of(c)}


def test_held_out_wording_shares_no_meaningful_token_with_training_captions():
    labels, named = _all_named(3000)
    train = _tokens(make_captions(labels, named, 4, held_out=False))
    held = _tokens(make_captions(labels, named, 4, held_out=True))
    assert train & held <= FUNCTION_WORDS
    # Every phrase was used, in its own wording only.
    phrases = [*CLASS_WORDS, *(w for pair in ATTRIBUTE_WORDS.values() for w in pair)]
    for wording in phrases:
        assert wording.train and wording.held_out
        assert all(set(words_of(p)) <= train for p in wording.train)
        assert all(set(words_of(p)) <= held for p in wording.held_out)
        assert not any(set(words_of(p)) & train for p in wording.held_out)


def test_captions_read_back_as_the_class_and_attributes_they_were_made_from():
    rng = random.Random(0)
    for held_out in (False, True):
        for _ in range(500):
            label = rng.randrange(10)
            named = {p: rng.choice([-1, 0, 1]) for p in PROPERTIES}
            text = caption(label, named, rng, held_out, mention=1.0)
            got = caption_targets(text)
            assert got.label == label, text
            want = {p: None if v < 0 else bool(v) for p, v in named.items()}
            assert got.attributes == want, text


def test_longest_phrases_win_and_articles_fit():
    assert caption_targets("an ankle boot").label == 9
    assert caption_targets("a light t-shirt").label == 0
    assert caption_targets("a button-up shirt").label == 6
    assert caption_targets("nothing to see").label is None
    rng = random.Random(1)
    texts = {caption(4, {}, rng, True) for _ in range(50)}
    assert any("an overcoat" in t for t in texts) or any("a parka" in t for t in texts)
    texts = {caption(1, {}, rng, False) for _ in range(50)} | {
        caption(1, {}, rng, True) for _ in range(50)
    }
    assert any("a pair of trousers" in t or "a pair of pants" in t for t in texts)
    assert not any("a pair of slacks" in t or "a slacks" in t for t in texts)


def test_make_captions_is_deterministic_and_always_names_what_it_must():
    labels, named = _all_named(50)
    a = make_captions(labels, named, per_image=3, seed=5)
    assert a == make_captions(labels, named, per_image=3, seed=5)
    assert len(a) == 50 and all(len(c) == 3 for c in a)
    forced = make_captions(labels, named, 2, True, seed=1, mention=0.0, always=("brightness",))
    for i, caps in enumerate(forced):
        for text in caps:
            got = caption_targets(text).attributes
            expect = None if named["brightness"][i] < 0 else bool(named["brightness"][i])
            assert got["brightness"] == expect and got["width"] is None
    assert len(TRAIN_TEMPLATES) >= 3 and len(HELD_OUT_TEMPLATES) >= 3


def test_agreement_counts_hits_only_where_the_caption_says_something():
    thr = Thresholds(
        low={p: [0.3] * 10 for p in PROPERTIES},
        median={p: [0.5] * 10 for p in PROPERTIES},
        high={p: [0.7] * 10 for p in PROPERTIES},
    )
    none = dict.fromkeys(PROPERTIES)
    targets = [
        CaptionTargets(3, {**none, "brightness": True}),
        CaptionTargets(3, {**none, "brightness": False}),
        CaptionTargets(5, none),
        CaptionTargets(None, {**none, "brightness": True}),  # no class: not judged
    ]
    props = {p: torch.tensor([0.8, 0.8, 0.2, 0.9]) for p in PROPERTIES}
    out = agreement(targets, torch.tensor([3, 3, 4, 0]), props, thr)
    assert out["label"] == (pytest.approx(2 / 3), 3)
    assert out["brightness"] == (0.5, 2)
    assert out["width"] == (0.0, 0)
    with pytest.raises(ValueError, match="one prediction"):
        agreement(targets, torch.tensor([1]), props, thr)
