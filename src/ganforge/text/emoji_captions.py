"""Captions for the Google emoji of the npm package ``emoji-datasource-google`` (MIT licence).

A real colour set for text-to-image that fits a CPU: ~1,900 emoji and ~1,900 skin-tone variants,
64x64 RGBA PNGs, each with a name. Get it with ``cd /tmp && npm pack emoji-datasource-google &&
tar xzf emoji-datasource-google-*.tgz``; the images are ``package/img/google/64/`` and the records
``package/emoji.json``.

Each record gives captions: its name ("grinning face"; the older records' upper-case names are
lower-cased), its short names with ``_`` and ``-`` read as spaces ("dove of peace") unless they are
codes (every word shorter than 3 letters, as "cn" or "+1", or "flag cn"), and the name with its
sub-category ("grinning face, face smiling"). A skin-tone variant adds its tone to each caption
("waving hand, medium-dark skin tone"). Version 16 of the package has no keyword lists; a record's
``keywords``, where a release has them, are one more caption.

:func:`write_metadata` writes them as a Hugging Face imagefolder ``metadata.jsonl`` beside the
images: one line per image, ``{"file_name": "1f600.png", "text": ["grinning face", ...]}``, a list
of captions as diffusers' text-to-image examples read it (one drawn per use).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganforge.atomic import atomic_write_bytes
from ganforge.errors import GanforgeError

SKIN_TONES = {
    "1F3FB": "light",
    "1F3FC": "medium-light",
    "1F3FD": "medium",
    "1F3FE": "medium-dark",
    "1F3FF": "dark",
}
"""The Fitzpatrick modifiers of Unicode (UTS #51) by code point, named as CLDR names them."""
MAX_JSON_BYTES = 32 * 2**20
"""emoji.json of version 16 is 1.3 MB; anything far larger is not that file."""


@dataclass(frozen=True)
class CaptionedFile:
    """An image file name (relative to the image folder) and its captions."""

    file_name: str
    captions: tuple[str, ...]


def read_emoji_json(path: str | Path) -> list[dict[str, Any]]:
    """The records of ``emoji.json``: a list of objects, each with a string ``name`` and
    ``image``; anything else is refused."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            raise GanforgeError(f"{path} is larger than {MAX_JSON_BYTES} bytes: not emoji.json")
        records = json.loads(path.read_bytes())
    except OSError as e:
        raise GanforgeError(f"cannot read {path}: {e.strerror or e}") from None
    except ValueError as e:
        raise GanforgeError(f"{path} is not valid JSON ({e})") from None
    if not isinstance(records, list) or not all(
        isinstance(r, dict) and isinstance(r.get("name"), str) and isinstance(r.get("image"), str)
        for r in records
    ):
        raise GanforgeError(
            f"{path} is not an emoji-datasource emoji.json (records with name, image)"
        )
    return records


def _spaced(text: str) -> str:
    return " ".join(text.replace("_", " ").replace("-", " ").split())


def _name(record: dict[str, Any]) -> str:
    name = " ".join(record["name"].split())
    return name.lower() if name.isupper() or name.istitle() else name


def _is_code(phrase: str) -> bool:
    # Country and shortcut codes ("cn", "flag cn", "+1") say nothing a reader would type.
    return all(len(word) < 3 for word in phrase.split() if word != "flag")


def record_captions(record: dict[str, Any]) -> list[str]:
    """The captions of one emoji record, without duplicates, the name first."""
    name = _name(record)
    captions = [name]
    for short in record.get("short_names") or []:
        if isinstance(short, str) and not _is_code(_spaced(short)):
            captions.append(_spaced(short))
    subcategory = record.get("subcategory")
    if isinstance(subcategory, str) and subcategory:
        captions.append(f"{name}, {_spaced(subcategory)}")
    keywords = record.get("keywords")
    if isinstance(keywords, list) and keywords:
        captions.append(", ".join(k for k in keywords if isinstance(k, str)))
    seen: set[str] = set()
    return [c for c in captions if c and not (c.lower() in seen or seen.add(c.lower()))]


def _tone(key: str) -> str | None:
    """'1F3FD' -> 'medium skin tone'; '1F3FB-1F3FF' -> 'light and dark skin tones'."""
    tones = [SKIN_TONES.get(part.upper()) for part in key.split("-")]
    if not tones or None in tones:
        return None
    if len(set(tones)) == 1:
        return f"{tones[0]} skin tone"
    return " and ".join(dict.fromkeys(tones)) + " skin tones"


def emoji_captions(
    records: Sequence[dict[str, Any]], skin_tones: bool = True
) -> Iterator[CaptionedFile]:
    """(file name, captions) for each record with a Google image, and for its skin-tone variants
    when ``skin_tones``."""
    for record in records:
        if record.get("has_img_google") is False:
            continue
        captions = record_captions(record)
        yield CaptionedFile(record["image"], tuple(captions))
        variations = record.get("skin_variations") if skin_tones else None
        if not isinstance(variations, dict):
            continue
        for key, variant in variations.items():
            tone = _tone(str(key))
            if (
                tone is None
                or not isinstance(variant, dict)
                or not isinstance(variant.get("image"), str)
                or variant.get("has_img_google") is False
            ):
                continue
            yield CaptionedFile(variant["image"], tuple(f"{c}, {tone}" for c in captions))


def write_metadata(
    folder: str | Path, entries: Iterator[CaptionedFile] | Sequence[CaptionedFile]
) -> tuple[int, list[str]]:
    """Write ``folder/metadata.jsonl`` for the entries whose image is in ``folder``.

    Returns (lines written, file names not found). A file name that would leave the folder
    (absolute, or with a path separator or "..") is refused: the records are read from a download.
    """
    folder = Path(folder)
    lines, missing = [], []
    for entry in entries:
        name = entry.file_name
        if not name or Path(name).name != name or name in (".", ".."):
            raise GanforgeError(f"emoji image name {name!r} is not a plain file name")
        if not (folder / name).is_file():
            missing.append(name)
            continue
        lines.append(
            json.dumps({"file_name": name, "text": list(entry.captions)}, ensure_ascii=False)
        )
    atomic_write_bytes(folder / "metadata.jsonl", ("\n".join(lines) + "\n").encode("utf-8"))
    return len(lines), missing
