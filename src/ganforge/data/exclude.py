"""Groups of duplicate images as a data input: the file ``ganforge dedup`` writes, read back by
``data.exclude`` to leave all but one image of each group out of a source.

The file (JSON, ``FORMAT`` version ``VERSION``) names what it was made for and its groups by item
id, as the data records name items (``ImageData.item_ids``: a file's path relative to its folder,
``fashion-mnist/train#12345`` for a canonical set)::

    {"format": "ganforge-duplicate-groups", "version": 1,
     "source": {"source": "folder:/abs/path", "split": "all", "n_items": 812,
                "ids_sha256": "...", "pixels_sha256": "...", "shape": [3, 32, 32]},
     "groups": [{"members": ["a.png", "b.png"], "distances": [0, 3],
                 "same_pixels": [true, false]}, ...],
     ...what made it: settings, model, timing (``explore/dedup.py``)}

``members[0]`` of a group is the image kept; the others are left out. ``source_key`` makes the
source comparable across spellings (``folder:~/x`` and ``folder:/home/u/x`` are one source), so a
file made for another source is refused rather than silently matching nothing.

Where the ids are checked and the images dropped (``pipeline.load_data``): before ``max_images``
and before the folder cache (whose key includes the file's SHA-256), so ``data.max_images=N``
takes N images of the cleaned set and a cached folder never serves the uncleaned one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganforge.config import DataConfig
from ganforge.data.dataset import ImageData
from ganforge.data.schemes import resolve
from ganforge.errors import GanforgeError

FORMAT = "ganforge-duplicate-groups"
VERSION = 1
MAX_LISTED = 1000
"""Longest list of left-out items kept in the data report (the count stays exact)."""


def source_key(source: str) -> str:
    """``data.source`` as one spelling: a scheme's argument that names an existing path made
    absolute and resolved (``folder:~/x`` -> ``folder:/home/u/x``), any other argument as
    written (a plug-in's ``blobs:64``), a named set as its scheme's name."""
    scheme, argument = resolve(source)
    if not scheme.takes_argument:
        return scheme.name
    path = Path(argument).expanduser()
    return f"{scheme.name}:{path.resolve() if path.exists() else argument}"


def describe_source(cfg: DataConfig, data: ImageData) -> dict[str, Any]:
    """What a groups file records of the images it was made from: the source, the split read
    (``data.report``'s: a fallback split is the one that was read), the number of items, and
    SHA-256 digests of their ids and of their pixels as prepared."""
    ids = "\n".join(data.item_ids()).encode()
    pixels = hashlib.sha256(data.images.contiguous().numpy().tobytes()).hexdigest()
    return {
        "source": source_key(cfg.source),
        "split": data.report.get("split", cfg.split),
        "n_items": len(data),
        "ids_sha256": hashlib.sha256(ids).hexdigest(),
        "pixels_sha256": pixels,
        "shape": list(data.images.shape[1:]),
    }


# --------------------------------------------------------------------------- reading it back


@dataclass(frozen=True)
class Exclusion:
    """A groups file read and checked: which items to leave out, and why."""

    path: Path
    sha256: str
    """Of the file's bytes: the folder cache's key includes it."""
    made_for: dict[str, Any]
    """The file's ``source`` record (source key, split, counts, digests)."""
    groups: list[list[str]]
    """Item ids per group; the first is kept."""
    reasons: dict[str, str]
    """Each left-out id -> why ("same pixels as a.png", "Hamming distance 3 to a.png")."""

    @property
    def dropped(self) -> set[str]:
        return set(self.reasons)

    def check_ids(self, ids: list[str], what: str) -> None:
        """Every id the groups name must be an item of the source (``what`` names it)."""
        present = set(ids)
        missing = [m for g in self.groups for m in g if m not in present]
        if missing:
            raise GanforgeError(
                f"data.exclude={self.path} names {len(missing):,} item(s) that {what} does not "
                f"hold (e.g. {missing[0]!r}): was it changed since `ganforge dedup` ran? run it "
                "again"
            )

    def check_split(self, split: str, source: str) -> None:
        """The split read must be the one the groups were found in."""
        made = self.made_for.get("split")
        if made != split:
            raise GanforgeError(
                f"data.exclude={self.path} was made for the {made} split of {source}; this reads "
                f"its {split} split: run `ganforge dedup {source} --split {split}` for it"
            )

    def record(self, left_out: list[str], n_before: int) -> dict[str, Any]:
        """What data_report.json says of it: the file, what was left out and why."""
        return {
            "file": str(self.path),
            "sha256": self.sha256,
            "made_for": self.made_for,
            "groups": len(self.groups),
            "items_before": n_before,
            "left_out": len(left_out),
            "items": [{"id": i, "reason": self.reasons[i]} for i in left_out[:MAX_LISTED]],
        }


def _malformed(path: Path, why: str) -> GanforgeError:
    return GanforgeError(
        f"data.exclude={path} is not a groups file of `ganforge dedup` ({why}): give the "
        "groups.json it wrote"
    )


def _strings(value: Any, n: int | None = None) -> bool:
    return (
        isinstance(value, list)
        and all(isinstance(v, str) and v for v in value)
        and (n is None or len(value) == n)
    )


def _reasons(path: Path, groups: list[Any]) -> tuple[list[list[str]], dict[str, str]]:
    """The groups' members and each left-out member's reason; every check one line."""
    members, reasons, seen = [], {}, set()
    for k, g in enumerate(groups):
        ids = g.get("members") if isinstance(g, dict) else None
        if not _strings(ids) or len(ids) < 2 or len(set(ids)) != len(ids):
            raise _malformed(path, f"group {k} has no list of two or more distinct item ids")
        if seen & set(ids):
            raise _malformed(path, f"item {sorted(seen & set(ids))[0]!r} is in two groups")
        seen |= set(ids)
        dist, same = g.get("distances"), g.get("same_pixels")
        if dist is not None and not (
            isinstance(dist, list)
            and len(dist) == len(ids)
            and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in dist)
        ):
            raise _malformed(path, f"group {k}'s distances are not one count per member")
        if same is not None and not (
            isinstance(same, list) and len(same) == len(ids) and all(s in (0, 1) for s in same)
        ):
            raise _malformed(path, f"group {k}'s same_pixels are not one true/false per member")
        for j, item in enumerate(ids[1:], 1):
            if same and same[j]:
                reasons[item] = f"same pixels as {ids[0]}"
            elif dist is not None:
                reasons[item] = f"near duplicate of {ids[0]} (Hamming distance {dist[j]})"
            else:
                reasons[item] = f"duplicate of {ids[0]}"
        members.append(list(ids))
    return members, reasons


def read_exclusion(path_text: str, cfg: DataConfig) -> Exclusion:
    """``data.exclude``: the groups file, checked (its form, and that it was made for
    ``cfg.source``); one-line errors."""
    path = Path(path_text.strip()).expanduser()
    if not path.is_file():
        raise GanforgeError(
            f"data.exclude={path_text}: no such file; give the groups.json `ganforge dedup` wrote"
        )
    raw = path.read_bytes()
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise _malformed(path, f"not JSON: {str(e)[:80]}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise _malformed(path, f"its format is not {FORMAT!r}")
    if doc.get("version") != VERSION:
        raise _malformed(path, f"version {doc.get('version')!r}; this ganforge reads {VERSION}")
    made_for = doc.get("source")
    if not isinstance(made_for, dict) or not _strings(
        [made_for.get("source"), made_for.get("split")]
    ):
        raise _malformed(path, "no source it was made for")
    if not isinstance(doc.get("groups"), list):
        raise _malformed(path, "no list of groups")
    want = source_key(cfg.source)
    if made_for["source"] != want:
        raise GanforgeError(
            f"data.exclude={path} was made for {made_for['source']}, not for data.source="
            f"{cfg.source.strip()} ({want}): run `ganforge dedup {cfg.source.strip()}` for it"
        )
    groups, reasons = _reasons(path, doc["groups"])
    sha = hashlib.sha256(raw).hexdigest()
    return Exclusion(path.resolve(), sha, made_for, groups, reasons)


def apply_exclusion(data: ImageData, exclusion: Exclusion, source: str) -> ImageData:
    """``data`` without the left-out items, its report saying so (``report["exclude"]``, and a
    warning line the commands print). The split read and the ids are checked first."""
    exclusion.check_split(str(data.report.get("split", "")), source)
    ids = data.item_ids()
    exclusion.check_ids(ids, source)
    drop = exclusion.dropped
    keep = [i for i, item in enumerate(ids) if item not in drop]
    left_out = [item for item in ids if item in drop]
    out = data.subset(keep) if left_out else data
    note_exclusion(out.report, exclusion, left_out, len(ids))
    return out


def note_exclusion(
    report: dict[str, Any], exclusion: Exclusion, left_out: list[str], n_before: int
) -> None:
    """``report["exclude"]`` and the warning line of an exclusion applied to a record."""
    report["exclude"] = exclusion.record(left_out, n_before)
    report.setdefault("warnings", []).append(
        f"data.exclude: left out {len(left_out):,} duplicate image(s) of {n_before:,} "
        f"({len(exclusion.groups):,} groups in {exclusion.path.name}; see 'exclude' in "
        "data_report.json)"
    )
