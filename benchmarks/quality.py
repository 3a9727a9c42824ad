"""Sample quality after fixed CPU budgets: ganforge presets against a plain textbook DCGAN loop.

Every setup trains on Fashion-MNIST (train split, 32 px) for a budget of *training* wall-clock time.
At each snapshot (``--minutes``) its generator is scored on ``--n`` samples against the test split:
FD-FMNIST (the Frechet distance of Heusel et al. 2017 on the shipped Fashion-MNIST classifier's
features, not comparable with Inception FIDs), KID (Binkowski et al. 2018), precision and recall
(Kynkaanniemi et al. 2019, k=3) and classes covered, all through ``ganforge.evaluation`` with the
protocol of ``ganforge eval``. Scoring time is not counted in the budget.

- ganforge: ``Trainer.fit`` on the preset with ``train.minutes`` at each snapshot (the run ends
  cleanly, its checkpoint written) and resumed with the next budget; scored with its EMA
  generator. Periodic evaluation
  (``train.eval_every``) is off, so the budget is training only.
- ``--textbook``: the PyTorch DCGAN tutorial loop of ``speed.py`` (DataLoader over a TensorDataset,
  BCE on sigmoid outputs, D step then G step, the same networks as the DCGAN preset); scored with its
  only generator, in eval mode like ganforge's.

Rows are appended to ``benchmarks/results/quality-cpu.json`` and printed as a markdown table; each
row names its evaluation protocol by hash, and the file keeps the full protocol of every hash
under "protocols" (extractor and weights SHA-256, counts, resize, data set, reference SHA-256, ...).

    python benchmarks/quality.py --preset dcgan-fashion-mnist --minutes 5,15,60
    python benchmarks/quality.py --textbook --minutes 5,15,60
    python benchmarks/quality.py --table                  # the table of every recorded row
    python benchmarks/quality.py --minutes 0.2,0.4 --n 500 --out /tmp/q.json   # smoke test
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from _machine import cpu_info  # benchmarks/ is on sys.path
from ganforge.config import load_config
from ganforge.data import load_data
from ganforge.evaluation import (
    RealData,
    load_real,
    protocol_hash,
    reference_for,
    score_generator,
)
from ganforge.images import atomic_write_bytes
from ganforge.metrics.features import Extractor, load_extractor
from ganforge.train.trainer import Trainer
from ganforge.version import __version__
from speed import textbook_loop  # benchmarks/ is on sys.path when this runs as a script

RESULTS = Path(__file__).parent / "results" / "quality-cpu.json"
METRICS = ["fid", "kid", "pr", "modes"]
TEXTBOOK_BASE = "dcgan-fashion-mnist"  # the architecture and batch size the textbook loop uses


def ganforge_snapshots(
    preset: str,
    minutes: list[float],
    out_dir: str,
    overrides: dict[str, Any] | None = None,
    data: Any = None,
) -> Iterator[Any]:
    """Train ``preset``; at each budget of training time yield (seconds, images, EMA G, classes,
    precision, the Trainer). ``overrides`` change the preset (e.g. a data subset or augmentation)."""
    over = {
        "out_dir": out_dir,
        "train.images": 10**10,  # the budget, not the preset's length, ends the run
        "train.eval_every": 0,
        "runtime.progress": False,
        "runtime.tensorboard": False,
        **(overrides or {}),
    }
    trainer = None
    for m in minutes:
        # train.minutes ends each stage cleanly (its checkpoint written); resuming with a larger
        # budget goes on from there: the run's own training clock, kept across resumes.
        if trainer is None:
            cfg = load_config(preset, {**over, "train.minutes": m})
            trainer = Trainer(cfg, data=data).fit()
        else:
            trainer = Trainer.resume(trainer.run_dir, [f"train.minutes={m}"], data=data).fit()
        yield (
            trainer.wall_time,
            trainer.images_seen,
            trainer.inference().require("sample").G,
            trainer.task.num_classes,
            trainer.task.precision,
            trainer,
        )


def textbook_snapshots(minutes: list[float]) -> Iterator[Any]:
    """The tutorial loop; at each budget of training time yield (seconds, images, G, 0)."""
    cfg = load_config(TEXTBOOK_BASE)
    images = load_data(cfg.data).images  # (60000, 1, 32, 32) uint8, like the preset sees them
    loop = textbook_loop(cfg, images)
    spent, steps = 0.0, 0
    for m in minutes:
        while spent < 60 * m:
            t0 = time.perf_counter()
            G = next(loop)
            spent += time.perf_counter() - t0
            steps += 1
        yield spent, steps * cfg.train.batch_size, G, 0, "fp32", None


def score(
    G: torch.nn.Module, num_classes: int, real: RealData, ext: Extractor, n: int, ref: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the row's scores, the full protocol)."""
    t0 = time.perf_counter()
    result = score_generator(G, real, ext, METRICS, n, 0, num_classes=num_classes, reference=ref)
    return scores_row(result, t0)


def scores_row(result: dict[str, Any], t0: float) -> tuple[dict[str, Any], dict[str, Any]]:
    """A scoring result as (the row's scores, the full protocol); ``t0`` started the clock."""
    m = result["metrics"]
    row = {
        "fd_fmnist": round(m["fd_fmnist"], 3),
        "kid_fmnist": round(m["kid_fmnist"], 5),
        "kid_fmnist_std": round(m["kid_fmnist_std"], 5),
        "precision": round(m["precision"], 4),
        "recall": round(m["recall"], 4),
        "classes_present": m["classes_present"],
        "num_classes": m["num_classes"],
        "protocol": protocol_hash(result["protocol"]),
        "eval_s": round(time.perf_counter() - t0, 1),
    }
    return row, result["protocol"]


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| setup | budget (min) | images | FD-FMNIST | KID-FMNIST x1e3 | precision | recall "
        "| classes | n |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['setup']} | {r['minutes']:g} | {r['images']:,} | {r['fd_fmnist']:.2f} "
            f"| {1e3 * r['kid_fmnist']:.2f} | {r['precision']:.3f} | {r['recall']:.3f} "
            f"| {r['classes_present']}/{r['num_classes']} | {r['n']:,} |"
        )
    return "\n".join(lines)


def load_results(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text()) if path.is_file() else {}
    return {"rows": data.get("rows", []), "protocols": data.get("protocols", {})}


def load_rows(path: Path) -> list[dict[str, Any]]:
    return load_results(path)["rows"]


def save_row(path: Path, row: dict[str, Any], protocol: dict[str, Any]) -> None:
    """Append ``row`` (and its protocol, under its hash) to the results file, atomically."""
    data = load_results(path)
    data["rows"].append(row)
    data["protocols"][row["protocol"]] = protocol
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, (json.dumps(data, indent=2) + "\n").encode())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    who = ap.add_mutually_exclusive_group()
    who.add_argument("--preset", default="dcgan-fashion-mnist")
    who.add_argument("--textbook", action="store_true", help="the plain tutorial DCGAN loop")
    who.add_argument("--table", action="store_true", help="print the recorded rows and exit")
    ap.add_argument("--minutes", default="5,15,60", help="snapshots, in minutes of training")
    ap.add_argument("--n", type=int, default=10_000, help="samples per evaluation")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=RESULTS, help="results JSON (rows are appended)")
    args = ap.parse_args()
    if args.table:
        print(markdown(load_rows(args.out)))
        return
    minutes = sorted(float(m) for m in args.minutes.split(","))
    torch.set_num_threads(args.threads)
    setup = "textbook" if args.textbook else args.preset

    # The real side once: test split at the presets' 32 px, reference statistics cached.
    ext = load_extractor("fmnist")
    real = load_real(load_config(TEXTBOOK_BASE if args.textbook else args.preset).data)
    ref = reference_for(real, ext, args.n, 0)
    info = {
        **cpu_info(),
        "device": f"CPU {platform.processor() or platform.machine()}, {args.threads} threads",
        "torch": torch.__version__,
        "ganforge": __version__,
        "date": datetime.date.today().isoformat(),
        "command": " ".join(["python", "benchmarks/quality.py", *sys.argv[1:]]),
    }
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        snaps = (
            textbook_snapshots(minutes)
            if args.textbook
            else ganforge_snapshots(args.preset, minutes, tmp)
        )
        for m, (seconds, images, G, num_classes, dtype, _) in zip(minutes, snaps):
            scores, protocol = score(G, num_classes, real, ext, args.n, ref)
            row = {
                "setup": setup,
                "dtype": dtype,
                "minutes": m,
                "train_s": round(seconds, 1),
                "images": images,
                "img_per_s": round(images / max(seconds, 1e-9), 1),
                "n": args.n,
                **scores,
                **info,
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
            save_row(args.out, row, protocol)  # each snapshot lands at once
    print(markdown(rows))


if __name__ == "__main__":
    main()
