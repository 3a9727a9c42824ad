"""Paired image data for pix2pix: side-by-side A|B images, or two aligned folders A/ and B/.

Layouts of ``data.source=paired:PATH`` (the first that matches):

- ``PATH/train/``, ``PATH/test/`` (or ``val/``) holding side-by-side images, A on the left and B on
  the right: the format of the pix2pix data sets (facades, maps, edges2shoes, ...); ``data.split``
  picks the folder (test falls back to val);
- ``PATH/A/`` and ``PATH/B/`` (optionally ``A/train``, ``B/train``, ... per split) holding one image
  per side, paired by file name (``A/0001.png`` with ``B/0001.png``, as pix2pix's
  combine_A_and_B.py expects). When no name matches at all but the counts do (``1_A.jpg`` /
  ``1_B.jpg``), pairs are taken in sorted order and the report says so;
- side-by-side images directly in ``PATH``.

Each side is fitted to ``i2i.load_size`` (``i2i.fit``: crop or pad), with the channels asked for.
A file that cannot be read drops its pair, listed in the report; files without a partner are an
error naming them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ganforge.data.files.decode import MAX_PIXELS
from ganforge.data.i2i.domains import TwoDomainData
from ganforge.data.i2i.image_files import cleaner, list_images, read_images, report_skipped, stack
from ganforge.data.sources.folder import parse_background
from ganforge.errors import GanforgeError


def _split_dir(root: Path, split: str) -> Path | None:
    names = ("train",) if split == "train" else ("test", "val")
    return next((root / n for n in names if (root / n).is_dir()), None)


def _pair_folders(root: Path) -> tuple[Path, Path] | None:
    for a, b in (("A", "B"), ("a", "b")):
        if (root / a).is_dir() and (root / b).is_dir():
            return root / a, root / b
    return None


def match_pairs(a_files: list[Path], b_files: list[Path]) -> tuple[list[tuple[Path, Path]], str]:
    """Pair files by stem; fall back to sorted order only when no stem matches and counts agree."""
    a_by, b_by = {p.stem: p for p in a_files}, {p.stem: p for p in b_files}
    common = sorted(set(a_by) & set(b_by))
    if common:
        only_a, only_b = sorted(set(a_by) - set(b_by)), sorted(set(b_by) - set(a_by))
        if only_a or only_b:
            ex = [f"A/{n}" for n in only_a[:3]] + [f"B/{n}" for n in only_b[:3]]
            raise GanforgeError(
                f"mismatched pairs: {len(only_a)} image(s) in A and {len(only_b)} in B have no "
                f"partner of the same name (e.g. {', '.join(ex)}): remove them or add partners"
            )
        return [(a_by[n], b_by[n]) for n in common], "by file name"
    if len(a_files) != len(b_files):
        raise GanforgeError(
            f"mismatched pairs: A has {len(a_files)} images and B has {len(b_files)}, and no file "
            "names match: pairs need the same name in both folders"
        )
    return list(zip(a_files, b_files)), "in sorted order (no file names match)"


def load_paired(
    root: str | Path,
    split: str,
    size: int,
    channels: int,
    background: str = "white",
    fit: str = "crop",
    limit: int = 0,
    max_pixels: int = MAX_PIXELS,
) -> TwoDomainData:
    """Read a paired data set -> TwoDomainData with ``sources`` = A and ``images`` = B.

    Image files over ``max_pixels`` (``data.max_pixels``) are skipped and listed.
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise GanforgeError(f"paired data folder {root} does not exist (data.source=paired:PATH)")
    bg = parse_background(background)
    report: dict[str, Any] = {"path": str(root), "warnings": []}
    folders = _pair_folders(root)
    if folders is not None:
        a_dir, b_dir = folders
        if (sa := _split_dir(a_dir, split)) and (sb := _split_dir(b_dir, split)):
            a_dir, b_dir, used = sa, sb, sa.name
        else:
            used = "all"  # no split folders: every pair
        pairs, how = match_pairs(list_images(a_dir), list_images(b_dir))
        if not pairs:
            raise GanforgeError(f"paired data: {a_dir} and {b_dir} hold no image files")
        if how.startswith("in sorted"):
            report["warnings"].append(f"A/B images paired {how}: check that they correspond")
        if 0 < limit < len(pairs):
            pairs = pairs[:limit]
        clean = cleaner(size, channels, bg, fit)
        a_arr, skip_a = read_images([p for p, _ in pairs], root, clean, size, max_pixels=max_pixels)
        b_arr, skip_b = read_images([q for _, q in pairs], root, clean, size, max_pixels=max_pixels)
        keep = [i for i in range(len(pairs)) if a_arr[i] is not None and b_arr[i] is not None]
        skipped = skip_a + skip_b
        a = stack([a_arr[i] for i in keep], a_dir, skipped)  # none readable: an error
        b = stack([b_arr[i] for i in keep], b_dir, skipped)
        report.update(
            layout=f"aligned folders A/ B/ (paired {how})", folders=[str(a_dir), str(b_dir)]
        )
    else:
        split_dir = _split_dir(root, split)
        folder, used = split_dir or root, split_dir.name if split_dir else "all"
        files = list_images(folder)
        if not files:
            raise GanforgeError(
                f"paired data: no images in {folder}; expected side-by-side A|B images in "
                f"{root}/train/ (pix2pix layout) or two folders {root}/A/ and {root}/B/"
            )
        if 0 < limit < len(files):
            files = files[:limit]
        arrays, skipped = read_images(
            files,
            root,
            cleaner(size, channels, bg, fit, halves=True),
            2 * size,
            max_pixels=max_pixels,
        )
        pairs_ok = [r for r in arrays if r is not None]
        a = stack([p[0] for p in pairs_ok], folder, skipped)
        b = stack([p[1] for p in pairs_ok], folder, skipped)
        report.update(layout="side-by-side A|B images", folders=[str(folder)])
    skip_info = report_skipped(skipped, root)
    report["warnings"] += skip_info.pop("warnings", [])
    report.update(skip_info, n_pairs=len(a), split=used)
    return TwoDomainData(
        images=torch.from_numpy(b),
        labels=None,
        num_classes=0,
        name=f"paired:{root.name}",
        report=report,
        sources=torch.from_numpy(a),
        paired=True,
    )
