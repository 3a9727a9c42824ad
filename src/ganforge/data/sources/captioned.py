"""``captioned:PATH``: a folder of images with captions, the data of text-to-image.

Two layouts, read in this order:

1. Hugging Face imagefolder: ``PATH/metadata.jsonl``, one JSON object a line with ``file_name``
   (the image's path relative to PATH, ``/``-separated) and ``text``: a caption, or a list of
   captions (several per image, as in diffusers' text-to-image examples):

       {"file_name": "birds/0001.jpg", "text": ["a small red bird", "a red bird on a branch"]}

2. Sidecar text files (the layout of Reed et al. 2016's CUB-200 and Oxford-102 captions): for
   ``PATH/a/b.jpg`` the file ``PATH/a/b.txt`` holds its captions, one a line.

The images are read and cleaned as ``folder:PATH`` reads them (data/sources/folder.py: class
sub-folders become labels). Each image's captions become the record's ``captions`` field (a
list of strings per image, kept aligned through every later step). Images without any caption
are left out, and captions of images that are not there are ignored; both are listed in the data
report (``uncaptioned``, ``missing_images``), with a warning.

The caption files are untrusted input, checked before any image is decoded: a ``file_name`` that
would leave the folder (absolute, with ``..``, or through a symbolic link to outside it) is
refused, as are a malformed line and a second line for the same image, each error naming the
line; sizes are bounded (``MAX_METADATA_BYTES``, ``MAX_LINE_BYTES``, ``MAX_CAPTIONS``,
``MAX_CAPTION_CHARS``).
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from ganforge.config import DataConfig
from ganforge.data.dataset import ImageData
from ganforge.data.schemes import register_scheme
from ganforge.data.sources.folder import MAX_LISTED, read_folder
from ganforge.errors import GanforgeError

METADATA = "metadata.jsonl"
MAX_METADATA_BYTES = 256 * 2**20
"""Largest metadata.jsonl read (a million images with five captions each fit in it)."""
MAX_LINE_BYTES = 2**20
"""Longest line of metadata.jsonl, and largest sidecar .txt file."""
MAX_CAPTIONS = 1000
"""Most captions of one image."""
MAX_CAPTION_CHARS = 4000
"""Longest caption; a longer one is an error naming its line (it is not a caption)."""


def check_file_name(root: Path, name: object, where: str) -> str:
    """A metadata ``file_name`` -> its normalised relative path; one line when it is not a path
    inside ``root`` (absolute, ``..``, backslashes, or a link that leads outside)."""
    if not isinstance(name, str) or not name.strip():
        raise GanforgeError(f"{where}: file_name must be a non-empty string")
    if "\\" in name or "\0" in name:
        raise GanforgeError(f"{where}: file_name {name[:80]!r} must use / between folders")
    parts = name.split("/")
    if name.startswith("/") or (len(parts[0]) >= 2 and parts[0][1] == ":"):
        raise GanforgeError(
            f"{where}: file_name {name[:80]!r} is absolute: give the path relative to {root}"
        )
    if ".." in parts:
        raise GanforgeError(f"{where}: file_name {name[:80]!r} leaves the folder (..)")
    rel = "/".join(p for p in parts if p not in ("", "."))
    real_root = os.path.realpath(root)
    real = os.path.realpath(root / rel)
    if real != real_root and not real.startswith(real_root.rstrip(os.sep) + os.sep):
        raise GanforgeError(
            f"{where}: file_name {name[:80]!r} is a link that leads outside {root}: copy the "
            "image into the folder"
        )
    return rel


def _captions_of(value: object, where: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise GanforgeError(f"{where}: text must be a caption or a list of captions (strings)")
    if len(value) > MAX_CAPTIONS:
        raise GanforgeError(f"{where}: {len(value)} captions; at most {MAX_CAPTIONS} per image")
    out = []
    for caption in value:
        if len(caption) > MAX_CAPTION_CHARS:
            raise GanforgeError(
                f"{where}: a caption of {len(caption)} characters; at most {MAX_CAPTION_CHARS}"
            )
        caption = " ".join(caption.split())
        if caption:
            out.append(caption)
    return out


def read_metadata(root: Path) -> tuple[dict[str, list[str]], list[str]]:
    """``root/metadata.jsonl`` -> ({relative path: captions}, relative paths with no caption
    text). Errors name the line."""
    path = root / METADATA
    try:
        if path.stat().st_size > MAX_METADATA_BYTES:
            raise GanforgeError(f"{path} is larger than {MAX_METADATA_BYTES} bytes")
        raw = path.read_bytes()
    except OSError as e:
        raise GanforgeError(f"cannot read {path}: {e.strerror or e}") from None
    captions: dict[str, list[str]] = {}
    first_line: dict[str, int] = {}
    empty: list[str] = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        where = f"{path} line {number}"
        if not line.strip():
            continue
        if len(line) > MAX_LINE_BYTES:
            raise GanforgeError(f"{where} is longer than {MAX_LINE_BYTES} bytes")
        try:
            record = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as e:
            raise GanforgeError(f"{where} is not a JSON object ({type(e).__name__})") from None
        if not isinstance(record, dict) or "file_name" not in record or "text" not in record:
            raise GanforgeError(f'{where} needs {{"file_name": ..., "text": ...}}')
        rel = check_file_name(root, record["file_name"], where)
        if rel in first_line:
            raise GanforgeError(
                f"{where} repeats file_name {rel!r} of line {first_line[rel]}: give its "
                "captions as one list on one line"
            )
        first_line[rel] = number
        texts = _captions_of(record["text"], where)
        if texts:
            captions[rel] = texts
        else:
            empty.append(rel)
    if not first_line:
        raise GanforgeError(f"{path} lists no images: one JSON object a line, file_name and text")
    return captions, empty


def read_sidecars(root: Path, ids: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """The captions of ``root/<id without suffix>.txt`` of each image id, one a line."""
    captions: dict[str, list[str]] = {}
    empty: list[str] = []
    for rel in ids:
        txt = (root / rel).with_suffix(".txt")
        if not txt.is_file():
            continue
        where = str(txt)
        check_file_name(root, txt.relative_to(root).as_posix(), where)
        if txt.stat().st_size > MAX_LINE_BYTES:
            raise GanforgeError(f"{where} is larger than {MAX_LINE_BYTES} bytes")
        try:
            text = txt.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise GanforgeError(f"{where} is not UTF-8 text") from None
        except OSError as e:
            raise GanforgeError(f"cannot read {where}: {e.strerror or e}") from None
        found = _captions_of(text.splitlines(), where)
        if found:
            captions[rel] = found
        else:
            empty.append(rel)
    return captions, empty


def attach_captions(
    data: ImageData, captions: dict[str, list[str]], layout: str, root: Path
) -> ImageData:
    """Keep the images that have captions, with their captions as the ``captions`` field; list
    the others (and captions without an image) in the report."""
    ids = data.item_ids()
    keep = [i for i, rel in enumerate(ids) if rel in captions]
    uncaptioned = [rel for rel in ids if rel not in captions]
    present = set(ids)
    missing = sorted(rel for rel in captions if rel not in present)
    if not keep:
        hint = (
            f"{METADATA} names none of the {len(ids)} images"
            if layout == "metadata.jsonl"
            else f"none of the {len(ids)} images has a sidecar .txt file beside it"
        )
        raise GanforgeError(
            f"captioned:{root} has no captioned image: {hint} (see README: captioned data)"
        )
    out = data.subset(keep)
    out.fields["captions"] = [captions[ids[i]] for i in keep]
    report = out.report
    report["caption_layout"] = layout
    report["n_captions"] = sum(len(c) for c in out.fields["captions"])
    report["n_uncaptioned"], report["uncaptioned"] = len(uncaptioned), uncaptioned[:MAX_LISTED]
    report["n_missing_images"], report["missing_images"] = len(missing), missing[:MAX_LISTED]
    report.setdefault("warnings", [])
    if uncaptioned:
        report["warnings"].append(
            f"{len(uncaptioned)} image(s) have no caption and were left out: see 'uncaptioned'"
        )
    if missing:
        report["warnings"].append(
            f"{len(missing)} captioned file(s) are not readable images here: see 'missing_images'"
        )
    return out


def load_captioned(root: str | Path, cfg: DataConfig, options: Any) -> ImageData:
    """The images of ``root`` with their captions (either layout)."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise GanforgeError(
            f"captioned:{root} is not a folder: give a folder of images with {METADATA} or "
            "sidecar .txt captions"
        )
    metadata = (root / METADATA).is_file()
    captions, empty = read_metadata(root) if metadata else ({}, [])  # checked before decoding
    data = read_folder(str(root), cfg, 0, options, origin="captioned")  # seed: unused there
    if not metadata:
        captions, empty = read_sidecars(root, data.item_ids())
    out = attach_captions(data, captions, METADATA if metadata else "sidecar .txt", root)
    out.report["n_empty_captions"] = len(empty)
    return dataclasses.replace(out, name=f"captioned:{root.name}")


def _read(argument: str, cfg: DataConfig, seed: int, options: Any) -> ImageData:
    return load_captioned(argument, cfg, options)


register_scheme(
    "captioned",
    _read,
    takes_argument=True,
    doc="captioned:PATH, images with metadata.jsonl {file_name, text} or sidecar .txt captions",
)
