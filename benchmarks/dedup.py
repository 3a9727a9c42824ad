"""Measured: `ganforge dedup` against planted duplicates in Fashion-MNIST, beside the baselines.

The protocol (issue #23, item 4):

1. Base set: Fashion-MNIST's training split at 32 px, grey (``--split``; ``--subset N`` takes its
   first N images), as ``ganforge dedup fashion-mnist`` reads it. Planted into it (the
   prototype's ``plant``, benchmarks/dedup_prototype.py): ``--exact`` exact copies and
   ``--near`` near copies of distinct random sources, the near ones a quarter each a 1-px shift
   (zero fill), Gaussian noise (sigma 2-5 / 255), a brightness change (x 0.90-0.95 or 1.05-1.10)
   and a JPEG re-encoding at quality 75.
2. ``dedup``: exactly what ``ganforge dedup SOURCE --out DIR`` runs without ``--model``
   (explore/dedup.py): its autoencoder (dcgan-ae-32 with a 512-unit code on images centred by
   mass, 768,000 images) trained by the Trainer on the planted set, every image encoded, codes
   binarised at 0 (the paper's ReLU on) and grouped at its default radius (10 of 512 bits).
   The headline row is that default, untuned; a radius sweep follows for the curve.
3. Baselines, each at its *best* threshold on these very labels (an oracle choice that favours
   them): a plain pixel-space nearest-neighbour rule (images whose L2 distance on [0, 1] pixels is
   at most t are grouped; t swept over quantiles of the planted near pairs' distances) and the
   perceptual hash users reach for today, ``imagehash.phash`` (64 bits, Hamming radius t = 0..8).
   Every method also groups pixel-identical images, and groups are connected components.
4. Scores (``dedup_prototype.score``): recall = planted near pairs that share a group; precision
   = those pairs over every same-group pair that is not pixel-identical (Fashion-MNIST's own
   look-alikes count against it); precision_copies judges only pairs that hold a planted copy.
   Exact copies are reported apart (every method finds them). "best" = highest F1 of near recall
   and near precision.

    GANFORGE_DATASETS=/usr/share/datasets python benchmarks/dedup.py        # the 60k train split
    python benchmarks/dedup.py --subset 10000 --ae-images 200000            # a quicker check

Results (JSON: every row, the settings, times and the machine) go to
``benchmarks/results/dedup-cpu.json``; the README table is built from it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganforge.config import DataConfig
from ganforge.data import load_data
from ganforge.data.dataset import ImageData
from ganforge.explore import dedup as D
from ganforge.metrics.near_duplicates import (
    binarize,
    duplicate_groups,
    exact_duplicate_groups,
)
from ganforge.runs import load_run

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import cpu_info, cpu_name  # noqa: E402
from dedup_prototype import (  # noqa: E402  (the prototype's planting and scoring, reused)
    KINDS,
    components,
    phash_codes,
    pixel_l2_pairs,
    plant,
    score,
)


def f1(row: dict[str, Any]) -> float:
    r, p = row["near_recall"], row["near_precision"]
    return 2 * r * p / (r + p) if r + p else 0.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="train")
    ap.add_argument("--subset", type=int, default=0, help="first N base images (0: all)")
    ap.add_argument("--exact", type=int, default=1000)
    ap.add_argument("--near", type=int, default=1000)
    ap.add_argument("--ae-images", type=int, default=0, help="0: what dedup trains (768,000)")
    ap.add_argument("--radii", type=int, nargs="*", default=[6, 8, 9, 10, 11, 12, 14])
    ap.add_argument(
        "--phash-max",
        type=int,
        default=8,
        help="largest pHash radius tried (at 62k images t >= 2 already chains most images into "
        "one group; t = 9 ran for minutes without finishing)",
    )
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/dedup-cpu.json"))
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows: list[dict[str, Any]] = []
    times: dict[str, float] = {}
    load_before = os.getloadavg()  # other jobs on the machine slow every time below

    # 1. the base set and the planted copies
    cfg = DataConfig(source="fashion-mnist", split=args.split, resolution=32, channels=1)
    base_data = load_data(cfg)
    split_read = base_data.report.get("split")
    base = base_data.images[: args.subset] if args.subset else base_data.images
    planted = plant(base, args.exact, args.near, args.seed)
    images = planted["images"]  # uint8 (N, 1, 32, 32)
    n = len(images)
    exact = exact_duplicate_groups(images)
    print(
        f"{n:,} images: {len(base):,} of fashion-mnist {split_read}, planted {args.exact:,} "
        f"exact and {args.near:,} near copies",
        flush=True,
    )

    def report(method: str, setting: str, groups: list[list[int]], **extra: Any) -> dict:
        row = {"method": method, "setting": setting, **score(n, groups, planted, exact), **extra}
        row["f1"] = f1(row)
        rows.append(row)
        print(
            f"{method:9s} {setting:14s} near R {row['near_recall']:.3f} P "
            f"{row['near_precision']:.3f} P_copies {row['near_precision_copies']:.3f} exact R "
            f"{row['exact_recall']:.2f} | " + " ".join(f"{k} {row['R_' + k]:.2f}" for k in KINDS),
            flush=True,
        )
        return row

    # 2. dedup, as the command runs it without --model
    ids = [f"planted#{i}" for i in range(n)]
    data = ImageData(images, None, 0, "planted", report={"split": "all"}, ids=ids)
    ae_images = args.ae_images or D.autoencoder_images(n)
    with tempfile.TemporaryDirectory() as tmp:
        ae_cfg = D.autoencoder_config(cfg, Path(tmp), ae_images, args.device)
        t0 = time.perf_counter()
        D.train_autoencoder(ae_cfg, data, Path(tmp) / D.AE_FOLDER, progress=False)
        times["dedup_train_s"] = time.perf_counter() - t0
        model = load_run(Path(tmp) / D.AE_FOLDER, device=args.device).model
        found = D.find_groups(model, images, None, 0.0)
    times["dedup_encode_s"], times["dedup_search_s"] = found.encode_s, found.search_s
    default = report(
        "dedup",
        f"r={found.radius} (default)",
        [g.members for g in found.groups],
        seconds=found.search_s,
        candidates=found.candidates,
    )
    bits = binarize(model.encode(images), 0.0)
    for r in args.radii:
        t0 = time.perf_counter()
        groups = duplicate_groups(bits, r, images)
        report("dedup", f"r={r}", [g.members for g in groups], seconds=time.perf_counter() - t0)

    # 3a. pHash, 64 bits, Hamming radius 0..10
    t0 = time.perf_counter()
    ph = phash_codes(images)
    times["phash_hash_s"] = time.perf_counter() - t0
    for t in range(0, args.phash_max + 1):
        t0 = time.perf_counter()
        groups = [g.members for g in duplicate_groups(ph, t, images)]
        report("pHash", f"t={t}", groups, seconds=time.perf_counter() - t0)

    # 3b. pixel-space nearest neighbours: L2 on [0, 1] pixels within t
    near = np.array(planted["near"])
    x = images.reshape(n, -1).float() / 255
    d_near = (x[near[:, 0]] - x[near[:, 1]]).norm(dim=1)
    qs = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9]
    ts = [float(torch.quantile(d_near, q)) for q in qs]
    t0 = time.perf_counter()
    pairs = pixel_l2_pairs(images, max(ts)).numpy()
    times["pixel_all_pairs_s"] = time.perf_counter() - t0
    links = np.array([[g[0], k] for g in exact for k in g[1:]], dtype=np.int64).reshape(-1, 2)
    for q, t in zip(qs, ts):
        ij = pairs[pairs[:, 2] <= t, :2]
        groups = components(n, np.concatenate([ij, links]))
        report("pixel L2", f"t={t:.2f} (q{q})", groups)

    # 4. the best row of each method, and the record
    best = {m: max((r for r in rows if r["method"] == m), key=f1) for m in ("pHash", "pixel L2")}
    best["dedup"] = max((r for r in rows if r["method"] == "dedup"), key=f1)
    summary = {
        "dedup_default": default,
        "best": best,
        "aim_met": default["near_recall"] >= 0.9
        and default["near_precision"] >= 0.9
        and default["near_recall"] > best["pHash"]["near_recall"],
    }
    result = {
        "protocol": {
            "base": f"fashion-mnist {split_read} split"
            + (f", first {args.subset:,} images" if args.subset else ""),
            "n_images": n,
            "planted": {"exact": args.exact, "near": args.near, "kinds": list(KINDS)},
            "dedup": {
                "autoencoder": "dcgan-ae-32 + " + json.dumps(D.DEDUP_AE),
                "train_images": ae_images,
                "threshold": 0.0,
                "default_radius": found.radius,
            },
            "seed": args.seed,
        },
        "machine": {
            "cpu": {"model": cpu_name(), "avx512_bf16": cpu_info()["cpu_bf16_native"]},
            "threads": args.threads,
            "torch": torch.__version__,
            "load_average_1min": {"start": load_before[0], "end": os.getloadavg()[0]},
        },
        "command": "python " + " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
        "times_s": {k: round(v, 2) for k, v in times.items()},
        "summary": summary,
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({"times_s": result["times_s"], "aim_met": summary["aim_met"]}))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
