"""Captions for the shipped Fashion-MNIST: the offline text-to-image demo that needs nothing.

Each image gets several captions built from its class and from properties measured on it
(``text/fashion_properties.py``: dark / light, wide / narrow, plain / patterned, each said only
when the image is in the bottom or top third of its class), in several phrasings and synonyms:
"a photo of a pair of dark slim trousers", "pants, narrow and dim".

The wording is split in two, and the split is the point of the demo's evaluation:

- TRAIN wording: the generator is trained on captions written only with these templates and words.
- HELD-OUT wording: other templates ("a snapshot showing ...", "here we see ... that is ...") and
  other synonyms ("slacks", "jumper", "dusky", "skinny") that no training caption of the generator
  contains. Evaluation captions are written only with these, so a generator that had learnt a
  lookup from the training captions' class words to classes fails them.

No held-out word or template token is a training word (``tests/text/test_fashion_captions.py``
checks it), so the generator can only follow a held-out caption through the sentence encoder,
which learns what "slacks" means the way DAMSM's encoder does (Xu et al. 2018): from image-caption
pairs in its own contrastive pre-training, which sees both wordings. That pre-training is the only
place held-out words occur; the GAN and the evaluation encoder of R-precision never train on them
as generator conditions.

:func:`caption_targets` reads a caption back into the class and attributes it asks for (either
wording), and :func:`agreement` scores generated images against them: class by a classifier's
prediction (passed in), attributes by the measured property against the intended class's median.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from ganforge.data.sources.sets import FASHION_MNIST
from ganforge.text.fashion_properties import PROPERTIES, Thresholds, above_median
from ganforge.text.tokenizer import words_of

CLASS_NAMES = tuple(FASHION_MNIST.class_names)  # the data set's own list, in label order


@dataclass(frozen=True)
class Wording:
    """The phrases of one meaning: ``train`` ones in training captions, ``held_out`` ones only in
    evaluation captions."""

    train: tuple[str, ...]
    held_out: tuple[str, ...]

    def pick(self, held_out: bool) -> tuple[str, ...]:
        return self.held_out if held_out else self.train


# One entry per class, in Fashion-MNIST's label order. Plural nouns take "a pair of".
CLASS_WORDS = (
    Wording(("t-shirt", "top"), ("tee",)),
    Wording(("trousers", "pants"), ("slacks", "jeans")),
    Wording(("pullover", "sweater"), ("jumper",)),
    Wording(("dress", "frock"), ("gown",)),
    Wording(("coat", "jacket"), ("overcoat", "parka")),
    Wording(("sandal", "open shoe"), ("slingback",)),
    Wording(("shirt", "button-up"), ("blouse",)),
    Wording(("sneaker", "trainer"), ("plimsoll",)),
    Wording(("bag", "handbag"), ("purse", "tote")),
    Wording(("ankle boot", "boot"), ("bootie",)),
)
PLURAL = frozenset({"trousers", "pants", "slacks", "jeans"})

# Property -> (words for the bottom third, words for the top third): fashion_properties.py.
ATTRIBUTE_WORDS = {
    "brightness": (Wording(("dark", "dim"), ("dusky",)), Wording(("light", "bright"), ("pale",))),
    "width": (Wording(("narrow", "slim"), ("skinny",)), Wording(("wide", "broad"), ("roomy",))),
    "texture": (
        Wording(("plain", "solid"), ("simple",)),
        Wording(("patterned", "textured"), ("printed",)),
    ),
}

# {thing}: article, adjectives and noun ("a dark wide coat", "a pair of dark trousers", held out
# "some dusky slacks"); {bare}: adjectives and noun; {noun}: the noun alone; {a_noun}: with its
# article; {adj_and}: "dark and wide"; {be}: "is" or "are". Without adjectives a template uses
# the second of its pair when it has one.
TRAIN_TEMPLATES = (
    ("{thing}", None),
    ("a photo of {thing}", None),
    ("this is {thing}", None),
    ("{bare}", None),
    ("{noun}, {adj_and}", "{noun}"),
)
HELD_OUT_TEMPLATES = (
    ("a snapshot showing {thing}", None),
    ("here we see {a_noun} that {be} {adj_and}", "here we see {a_noun}"),
    ("picture with {thing} in it", None),
)


def _article(phrase: str, held_out: bool) -> str:
    if phrase.split()[-1] in PLURAL:
        # "pair" is a training word that names trousers: held-out captions must not contain it.
        return ("some " if held_out else "a pair of ") + phrase
    return ("an " if phrase[0] in "aeiou" else "a ") + phrase


def _render(
    template: tuple[str, str | None], noun: str, adjectives: Sequence[str], held_out: bool
) -> str:
    text, without = template
    if not adjectives and without is not None:
        text = without
    bare = " ".join([*adjectives, noun])
    if len(adjectives) < 3:
        adj_and = " and ".join(adjectives)
    else:
        adj_and = ", ".join(adjectives[:-1]) + " and " + adjectives[-1]
    return text.format(
        thing=_article(bare, held_out),
        bare=bare,
        noun=noun,
        a_noun=_article(noun, held_out),
        adj_and=adj_and,
        be="are" if noun in PLURAL else "is",
    )


def caption(
    label: int,
    named: dict[str, int],
    rng: random.Random,
    held_out: bool = False,
    mention: float = 0.6,
    always: Sequence[str] = (),
) -> str:
    """One caption of an image of class ``label`` with named properties (``named[p]`` is 1 for the
    top third, 0 for the bottom, -1 unsaid; ``fashion_properties.name_properties``).

    Each named property is mentioned with probability ``mention``, those in ``always`` whenever
    they are named; adjectives come in random order and words from the chosen wording.
    """
    noun = rng.choice(CLASS_WORDS[label].pick(held_out))
    adjectives = []
    for prop in PROPERTIES:
        value = named.get(prop, -1)
        if value < 0 or (prop not in always and rng.random() >= mention):
            continue
        adjectives.append(rng.choice(ATTRIBUTE_WORDS[prop][value].pick(held_out)))
    rng.shuffle(adjectives)
    templates = HELD_OUT_TEMPLATES if held_out else TRAIN_TEMPLATES
    return _render(rng.choice(templates), noun, adjectives, held_out)


def make_captions(
    labels: Tensor,
    named: dict[str, Tensor],
    per_image: int = 5,
    held_out: bool = False,
    seed: int = 0,
    mention: float = 0.6,
    always: Sequence[str] = (),
) -> list[list[str]]:
    """``per_image`` captions for each image: labels (N,), named properties (N,) int8 each."""
    rng = random.Random(seed)
    out = []
    for i, label in enumerate(labels.tolist()):
        props = {p: int(named[p][i]) for p in PROPERTIES}
        out.append(
            [caption(label, props, rng, held_out, mention, always) for _ in range(per_image)]
        )
    return out


# -- reading a caption back ------------------------------------------------------------------


@dataclass(frozen=True)
class CaptionTargets:
    """What a caption asks for: a class and, per property, True (top third word), False (bottom
    third word) or None (not said)."""

    label: int | None
    attributes: dict[str, bool | None]


def _phrase_table() -> list[tuple[tuple[str, ...], str, object]]:
    # (words of a phrase, what it names, value), longest phrases first so "ankle boot" wins over
    # "boot" and "t - shirt" over "shirt".
    table: list[tuple[tuple[str, ...], str, object]] = []
    for label, wording in enumerate(CLASS_WORDS):
        for phrase in wording.train + wording.held_out:
            table.append((tuple(words_of(phrase)), "label", label))
    for prop, (low, high) in ATTRIBUTE_WORDS.items():
        for value, wording in ((False, low), (True, high)):
            for phrase in wording.train + wording.held_out:
                table.append((tuple(words_of(phrase)), prop, value))
    return sorted(table, key=lambda row: -len(row[0]))


_PHRASES = _phrase_table()


def caption_targets(text: str) -> CaptionTargets:
    """The class and attributes a caption names, in either wording (the first mention counts)."""
    words = words_of(text)
    found: dict[str, object] = {}
    i = 0
    while i < len(words):
        for phrase, key, value in _PHRASES:
            if tuple(words[i : i + len(phrase)]) == phrase:
                found.setdefault(key, value)
                i += len(phrase)
                break
        else:
            i += 1
    label = found.get("label")
    return CaptionTargets(
        label if isinstance(label, int) else None,
        {p: found.get(p) if isinstance(found.get(p), bool) else None for p in PROPERTIES},
    )


def agreement(
    targets: Sequence[CaptionTargets],
    predicted: Tensor,
    props: dict[str, Tensor],
    thresholds: Thresholds,
) -> dict[str, tuple[float, int]]:
    """Fraction of generated images that agree with their captions, and how many were judged.

    ``predicted`` (N,) is a classifier's class for each image; ``props`` are the images' measured
    properties (``fashion_properties.measure``). "label": predicted == the caption's class; each
    property: the image is above its intended class's median exactly when the caption says the
    top-third word (light, wide, patterned). Captions that do not name a class (or a property)
    are not judged on it; a property is judged only on captions that name a class too.
    """
    n = len(targets)
    if predicted.shape != (n,) or any(v.shape != (n,) for v in props.values()):
        raise ValueError("give one prediction and one measurement per caption")
    has_label = torch.tensor([t.label is not None for t in targets])
    label = torch.tensor([t.label if t.label is not None else 0 for t in targets])
    out: dict[str, tuple[float, int]] = {}
    judged = int(has_label.sum())
    hits = (predicted.cpu() == label) & has_label
    out["label"] = (float(hits.sum()) / max(judged, 1), judged)
    above = above_median({k: v.cpu() for k, v in props.items()}, label, thresholds)
    for prop in PROPERTIES:
        said = torch.tensor([t.attributes[prop] is not None for t in targets]) & has_label
        want = torch.tensor([bool(t.attributes[prop]) for t in targets])
        judged = int(said.sum())
        hits = (above[prop] == want) & said
        out[prop] = (float(hits.sum()) / max(judged, 1), judged)
    return out
