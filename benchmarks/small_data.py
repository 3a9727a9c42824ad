"""Small data: what discriminator augmentation buys when only a few hundred images exist.

The setting of DiffAugment (Zhao et al. 2020, arXiv 2006.10738: 100-shot Obama FID 80.2 -> 46.9)
and ADA (Karras et al. 2020, arXiv 2006.06676: MetFaces 57.3 -> 18.2), on data this machine has:
the first 1,000 and the first 200 images of the Fashion-MNIST training split. For each subset the
preset (``r3gan-fashion-mnist`` by default) trains for the same budget of training time with
augmentation off, DiffAugment (color, translation, cutout) and adaptive ADA, and each generator
(EMA) is scored on ``--n`` samples against the 10,000-image test split: FD-FMNIST, KID, precision
and recall (``quality.score``, the protocol of ``ganforge eval``). A generator that memorised its
200 images scores a poor FD (and recall) against the held-out split: overfitting shows up here.

Rows go to ``benchmarks/results/small-data-cpu.json`` with the CPU model and precision.

    python benchmarks/small_data.py --minutes 8                  # 6 runs of 8 minutes
    python benchmarks/small_data.py --subsets 200 --policies none,ada --minutes 1 --n 2000
    python benchmarks/small_data.py --floor                      # the subsets themselves, no training
    python benchmarks/small_data.py --table

``--floor`` scores each subset itself, its images repeated to ``--n`` samples: what a generator that
memorised its training images perfectly would score. On 200 images that is far from 0, and no
generator trained on them can be expected to beat it by much.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from _machine import cpu_info  # benchmarks/ is on sys.path
from ganforge.config import load_config
from ganforge.data import load_data
from ganforge.evaluation import load_real, reference_for, score_images
from ganforge.images import atomic_write_bytes
from ganforge.metrics.features import load_extractor
from ganforge.version import __version__
from quality import (
    METRICS,
    ganforge_snapshots,
    score,
    scores_row,
)

RESULTS = Path(__file__).parent / "results" / "small-data-cpu.json"
POLICIES = {
    "none": {"augment.policy": "none"},
    "diffaugment": {"augment.policy": "diffaugment"},
    "ada": {"augment.policy": "ada"},
}


def memorised_row(
    cfg: Any, subset: int, ext: Any, n: int, ref: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The subset itself, repeated to ``n`` samples, scored like a generator's samples."""
    t0 = time.perf_counter()
    images = load_data(dataclasses.replace(cfg.data, max_images=subset)).images
    fake = images[torch.arange(n) % len(images)]
    result = score_images(fake, ref, ext, METRICS, 0)
    scores, protocol = scores_row(result, t0)
    row = {"subset": subset, "policy": "memorised", "minutes": 0.0, "train_s": 0.0}
    row |= {"images": len(images), "dtype": "-", "ada_p": None, "n": n, **scores}
    return row, protocol


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| images | augmentation | minutes | images seen | FD-FMNIST | KID-FMNIST x1e3 "
        "| precision | recall | final ADA p |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        p = "" if r.get("ada_p") is None else f"{r['ada_p']:.2f}"
        lines.append(
            f"| {r['subset']:,} | {r['policy']} | {r['minutes']:g} | {r['images']:,} "
            f"| {r['fd_fmnist']:.2f} | {1e3 * r['kid_fmnist']:.2f} | {r['precision']:.3f} "
            f"| {r['recall']:.3f} | {p} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="r3gan-fashion-mnist")
    ap.add_argument("--subsets", default="1000,200", help="first N training images")
    ap.add_argument("--policies", default="none,diffaugment,ada")
    ap.add_argument("--minutes", type=float, default=8.0, help="training time per run")
    ap.add_argument("--n", type=int, default=10_000, help="samples per evaluation")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--table", action="store_true", help="print the recorded rows and exit")
    ap.add_argument(
        "--floor", action="store_true", help="score the subsets themselves (a perfect memoriser)"
    )
    args = ap.parse_args()
    data = json.loads(args.out.read_text()) if args.out.is_file() else {"rows": [], "protocols": {}}
    if args.table:
        print(markdown(data["rows"]))
        return
    torch.set_num_threads(args.threads)
    cfg = load_config(args.preset)
    ext = load_extractor("fmnist")
    real = load_real(cfg.data)  # the test split: held out from every subset
    ref = reference_for(real, ext, args.n, 0)
    info = {
        **cpu_info(),
        "threads": args.threads,
        "torch": torch.__version__,
        "ganforge": __version__,
        "date": datetime.date.today().isoformat(),
        "command": " ".join(["python", "benchmarks/small_data.py", *sys.argv[1:]]),
    }
    rows = []
    for subset in (int(s) for s in args.subsets.split(",")):
        for policy in ["memorised"] if args.floor else args.policies.split(","):
            if policy == "memorised":
                row, protocol = memorised_row(cfg, subset, ext, args.n, ref)
                row = {"setup": args.preset, **row, **info}
                print(json.dumps(row), flush=True)
                rows.append(row)
                data["rows"].append(row)
                data["protocols"][row["protocol"]] = protocol
                atomic_write_bytes(args.out, (json.dumps(data, indent=2) + "\n").encode())
                continue
            over = {
                "data.max_images": subset,
                "train.batch_size": min(cfg.train.batch_size, subset),
                **POLICIES[policy],
            }
            with tempfile.TemporaryDirectory() as tmp:
                snaps = ganforge_snapshots(args.preset, [args.minutes], tmp, over)
                seconds, images, G, num_classes, dtype, trainer = next(snaps)
                augment = trainer.task.augment
                ada_p = augment.p if augment is not None and policy == "ada" else None
                scores, protocol = score(G, num_classes, real, ext, args.n, ref)
            row = {
                "setup": args.preset,
                "subset": subset,
                "policy": policy,
                "minutes": args.minutes,
                "train_s": round(seconds, 1),
                "images": images,
                "dtype": dtype,
                "ada_p": ada_p,
                "n": args.n,
                **scores,
                **info,
            }
            print(json.dumps(row), flush=True)
            rows.append(row)
            data["rows"].append(row)
            data["protocols"][row["protocol"]] = protocol
            args.out.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(args.out, (json.dumps(data, indent=2) + "\n").encode())
    print(markdown(rows))


if __name__ == "__main__":
    main()
