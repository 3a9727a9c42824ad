"""A word-level tokenizer for captions, saved as a Hugging Face ``tokenizer.json``.

Captions are normalised (Unicode NFKC, then lower case), split into words and punctuation, and
mapped to ids through a vocabulary built from the training captions: words seen fewer than
``min_count`` times, or beyond ``max_size``, become ``[UNK]``. Every caption becomes a fixed-length
row of ids, right-padded with ``[PAD]`` (id 0) and truncated to ``max_length`` words, the text
input of the sentence encoder (``text/encoder.py``), as in the word-level encoders of Reed et al.
2016 ("Generative Adversarial Text to Image Synthesis") and AttnGAN's DAMSM (Xu et al. 2018).

Why pure Python, and why the Hugging Face file format: the rules above are a few lines of
``unicodedata``, whereas the ``tokenizers`` package pulls ``huggingface_hub`` and an HTTP stack
into an install that needs neither. The saved file is a valid ``tokenizer.json`` (WordLevel
model, NFKC + Lowercase normaliser, Whitespace pre-tokeniser, fixed padding and truncation), so an
ONNX export can ship it and ``tokenizers.Tokenizer.from_file`` (Python, Rust or JavaScript)
reproduces our ids; ``tests/text/test_tokenizer.py`` checks that they agree when ``tokenizers`` is
installed. The pre-tokeniser is the regular expression ``\\w+|[^\\w\\s]+`` of that library, with
Rust's Unicode classes: word characters are letters, marks, decimal digits, letter numbers,
connector punctuation and the two joiners; white space is Unicode's White_Space property.

A loaded file is untrusted input (it comes from a run folder): its size is bounded and every
field is checked against what ``save`` writes before anything is used.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ganforge.atomic import atomic_write_bytes
from ganforge.errors import GanforgeError

PAD_TOKEN, UNK_TOKEN = "[PAD]", "[UNK]"
PAD_ID, UNK_ID = 0, 1
MAX_FILE_BYTES = 4 * 2**20
"""Largest tokenizer file read (a 50,000-word vocabulary takes about 1 MiB)."""
MAX_VOCAB_SIZE = 50_000
MAX_LENGTH_LIMIT = 256
"""Longest sequence a tokenizer may be built or loaded with (words per caption)."""
MAX_TOKEN_CHARS = 64
"""Longest vocabulary entry; longer words are never added (they are noise, not vocabulary)."""

# Unicode White_Space, the class of Rust regex's \s (str.isspace also counts U+001C..U+001F).
_WHITE_SPACE = frozenset(
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
)
_JOINERS = frozenset("\u200c\u200d")

_NORMALIZER = {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"}]}
_PRE_TOKENIZER = {"type": "Whitespace"}


def normalize(text: str) -> str:
    """NFKC, then lower case: the order of the Hugging Face normaliser sequence we write.

    Lower case is taken one character at a time, as that library does: str.lower() would also
    apply Greek's final-sigma rule (its one context-dependent mapping, of capital sigma), which
    it does not. Without a capital sigma the two agree, and str.lower() is much faster.
    """
    text = unicodedata.normalize("NFKC", text)
    if "\u03a3" not in text:
        return text.lower()
    return "".join(ch.lower() for ch in text)


def _char_class(ch: str) -> int:
    """0: white space, 1: word character (Rust regex \\w), 2: anything else (punctuation, symbols)."""
    if ch in _WHITE_SPACE:
        return 0
    cat = unicodedata.category(ch)
    if cat[0] in "LM" or cat in ("Nd", "Nl", "Pc") or ch in _JOINERS:
        return 1
    return 2


def split_words(text: str, limit: int | None = None) -> list[str]:
    """Runs of word characters and runs of other non-space characters: ``\\w+|[^\\w\\s]+``.

    ``limit`` stops after that many words, so a megabyte of prompt costs no more than its start.
    Expects normalised text (see :func:`normalize`).
    """
    words: list[str] = []
    start, kind = 0, 0
    for i, ch in enumerate(text):
        c = _char_class(ch)
        if c == kind:
            continue
        if kind:
            words.append(text[start:i])
            if limit is not None and len(words) >= limit:
                return words
        start, kind = i, c
    if kind:
        words.append(text[start:])
    return words if limit is None else words[:limit]


def words_of(text: str, limit: int | None = None) -> list[str]:
    """The words the tokenizer sees in ``text``: normalised, then split."""
    return split_words(normalize(text), limit)


@dataclass
class Encoding:
    """Fixed-length ids of a batch of texts, and what was lost on the way.

    ``ids`` (N, L) int64 right-padded with PAD_ID; ``lengths`` (N,) words kept (0 for an empty
    text); ``unknown`` counts the words mapped to ``[UNK]``; ``truncated`` and ``empty`` hold the
    indices of texts that were cut to ``L`` words or had no words at all.
    """

    ids: Tensor
    lengths: Tensor
    unknown: Counter[str] = field(default_factory=Counter)
    truncated: list[int] = field(default_factory=list)
    empty: list[int] = field(default_factory=list)

    @property
    def mask(self) -> Tensor:
        """(N, L) bool, True at real words."""
        return self.ids != PAD_ID

    def notes(self, max_words: int = 8) -> list[str]:
        """One line per kind of loss (truncation, unknown words, empty texts), for a single warning."""
        notes = []
        n, L = self.ids.shape
        if self.truncated:
            notes.append(
                f"{len(self.truncated)} of {n} texts had more than {L} words; kept the first {L}"
            )
        if self.unknown:
            top = [w for w, _ in self.unknown.most_common(max_words)]
            more = (
                f" and {len(self.unknown) - len(top)} more" if len(self.unknown) > len(top) else ""
            )
            notes.append(
                f"{len(self.unknown)} words are not in the vocabulary and read as {UNK_TOKEN}: "
                + ", ".join(repr(w) for w in top)
                + more
            )
        if self.empty:
            notes.append(f"{len(self.empty)} of {n} texts have no words")
        return notes


class WordTokenizer:
    """Vocabulary (word -> id, ids 0..V-1 with [PAD]=0 and [UNK]=1) and a fixed sequence length."""

    def __init__(self, vocab: Sequence[str], max_length: int) -> None:
        if list(vocab[:2]) != [PAD_TOKEN, UNK_TOKEN]:
            raise GanforgeError(f"a vocabulary starts with {PAD_TOKEN} and {UNK_TOKEN}")
        if not 1 <= max_length <= MAX_LENGTH_LIMIT:
            raise GanforgeError(f"max_length={max_length} must be in 1..{MAX_LENGTH_LIMIT} words")
        self.words = list(vocab)
        self.ids = {w: i for i, w in enumerate(self.words)}
        if len(self.ids) != len(self.words):
            raise GanforgeError("the vocabulary lists a word twice")
        self.max_length = max_length

    @classmethod
    def build(
        cls,
        captions: Iterable[str],
        min_count: int = 1,
        max_size: int = 10_000,
        max_length: int = 32,
    ) -> WordTokenizer:
        """The vocabulary of ``captions``: words seen >= ``min_count`` times, the most frequent
        first (ties in alphabetical order, so a build is deterministic), at most ``max_size``
        entries with the two special tokens."""
        if not 3 <= max_size <= MAX_VOCAB_SIZE:
            raise GanforgeError(f"max_size={max_size} must be in 3..{MAX_VOCAB_SIZE}")
        counts: Counter[str] = Counter()
        for caption in captions:
            counts.update(words_of(caption))
        kept = sorted(
            (w for w, c in counts.items() if c >= max(min_count, 1) and len(w) <= MAX_TOKEN_CHARS),
            key=lambda w: (-counts[w], w),
        )
        kept = [w for w in kept if w not in (PAD_TOKEN, UNK_TOKEN)]
        return cls([PAD_TOKEN, UNK_TOKEN, *kept[: max_size - 2]], max_length)

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, texts: Sequence[str]) -> Encoding:
        """texts -> Encoding with ids (N, max_length); nothing is raised for lossy input: the
        caller decides what to say (``Encoding.notes``) or refuse (``Encoding.empty``)."""
        L = self.max_length
        ids = torch.full((len(texts), L), PAD_ID, dtype=torch.long)
        lengths = torch.zeros(len(texts), dtype=torch.long)
        out = Encoding(ids, lengths)
        for i, text in enumerate(texts):
            words = words_of(text, limit=L + 1)
            if len(words) > L:
                out.truncated.append(i)
                words = words[:L]
            if not words:
                out.empty.append(i)
                continue
            row = [self.ids.get(w, UNK_ID) for w in words]
            out.unknown.update(w for w, j in zip(words, row) if j == UNK_ID)
            ids[i, : len(row)] = torch.tensor(row)
            lengths[i] = len(row)
        return out

    def decode(self, ids: Tensor) -> list[str]:
        """(N, L) ids -> the kept words joined by spaces (padding dropped)."""
        return [
            " ".join(self.words[j] for j in row.tolist() if j != PAD_ID and 0 <= j < len(self))
            for row in ids
        ]

    # -- the tokenizer.json file ------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The Hugging Face ``tokenizer.json`` structure (``tokenizers`` >= 0.13 reads it)."""
        L = self.max_length
        special = [
            {
                "id": i,
                "content": w,
                "single_word": False,
                "lstrip": False,
                "rstrip": False,
                "normalized": False,
                "special": True,
            }
            for i, w in enumerate((PAD_TOKEN, UNK_TOKEN))
        ]
        return {
            "version": "1.0",
            "truncation": {
                "direction": "Right",
                "max_length": L,
                "strategy": "LongestFirst",
                "stride": 0,
            },
            "padding": {
                "strategy": {"Fixed": L},
                "direction": "Right",
                "pad_to_multiple_of": None,
                "pad_id": PAD_ID,
                "pad_type_id": 0,
                "pad_token": PAD_TOKEN,
            },
            "added_tokens": special,
            "normalizer": _NORMALIZER,
            "pre_tokenizer": _PRE_TOKENIZER,
            "post_processor": None,
            "decoder": None,
            "model": {
                "type": "WordLevel",
                "vocab": {w: i for i, w in enumerate(self.words)},
                "unk_token": UNK_TOKEN,
            },
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n"

    def save(self, path: str | Path) -> None:
        atomic_write_bytes(Path(path), self.to_json().encode("utf-8"))

    @classmethod
    def from_json(cls, text: str | bytes, source: str = "tokenizer.json") -> WordTokenizer:
        """Parse and validate a file written by :meth:`save`; anything else is refused."""
        if len(text) > MAX_FILE_BYTES:
            raise GanforgeError(f"{source} is larger than {MAX_FILE_BYTES} bytes: not a tokenizer")
        try:
            data = json.loads(text, object_pairs_hook=_no_duplicate_keys)
        except (ValueError, RecursionError) as e:  # JSONDecodeError and duplicate keys
            raise GanforgeError(f"{source} is not valid JSON ({e})") from None
        problem = _check(data)
        if problem:
            raise GanforgeError(f"{source} is not a ganforge word-level tokenizer: {problem}")
        vocab = sorted(data["model"]["vocab"].items(), key=lambda kv: kv[1])
        return cls([w for w, _ in vocab], data["truncation"]["max_length"])

    @classmethod
    def load(cls, path: str | Path) -> WordTokenizer:
        path = Path(path)
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                raise GanforgeError(
                    f"{path} is larger than {MAX_FILE_BYTES} bytes: not a tokenizer"
                )
            raw = path.read_bytes()
        except OSError as e:
            raise GanforgeError(f"cannot read the tokenizer {path}: {e.strerror or e}") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise GanforgeError(f"{path} is not UTF-8 text: not a tokenizer") from None
        return cls.from_json(text, str(path))


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _check(data: object) -> str | None:
    """What is wrong with a parsed tokenizer.json, or None: the fields ``to_dict`` writes."""
    if not isinstance(data, dict):
        return "the top level is not an object"
    if data.get("normalizer") != _NORMALIZER or data.get("pre_tokenizer") != _PRE_TOKENIZER:
        return "its normaliser or pre-tokeniser is not NFKC + Lowercase, Whitespace"
    model = data.get("model")
    if not isinstance(model, dict) or model.get("type") != "WordLevel":
        return "its model is not WordLevel"
    if model.get("unk_token") != UNK_TOKEN:
        return f"its unknown token is not {UNK_TOKEN}"
    vocab = model.get("vocab")
    if not isinstance(vocab, dict) or not 2 <= len(vocab) <= MAX_VOCAB_SIZE:
        return f"its vocabulary is not an object of 2..{MAX_VOCAB_SIZE} words"
    if sorted(vocab.values(), key=lambda v: (not _is_int(v), v if _is_int(v) else 0)) != list(
        range(len(vocab))
    ):
        return "its vocabulary ids are not 0..V-1, each once"
    if vocab.get(PAD_TOKEN) != PAD_ID or vocab.get(UNK_TOKEN) != UNK_ID:
        return f"{PAD_TOKEN} and {UNK_TOKEN} are not ids {PAD_ID} and {UNK_ID}"
    for word in vocab:
        if word in (PAD_TOKEN, UNK_TOKEN):
            continue
        # Every entry must be one word as the pre-tokeniser yields it, or it could never be hit.
        if len(word) > MAX_TOKEN_CHARS or words_of(word) != [word]:
            return f"vocabulary entry {word[:40]!r} is not one normalised word"
    trunc, pad = data.get("truncation"), data.get("padding")
    if not isinstance(trunc, dict) or not isinstance(pad, dict):
        return "it has no fixed padding and truncation"
    L = trunc.get("max_length")
    if not _is_int(L) or not 1 <= L <= MAX_LENGTH_LIMIT:
        return f"its max_length is not an integer in 1..{MAX_LENGTH_LIMIT}"
    if trunc.get("direction") != "Right" or pad.get("direction") != "Right":
        return "it does not pad and truncate on the right"
    if pad.get("strategy") != {"Fixed": L} or pad.get("pad_id") != PAD_ID:
        return f"its padding is not fixed at max_length with id {PAD_ID}"
    return None
