r"""Inpainting quality after a fixed number of CPU minutes, next to cv2.inpaint and mean fill.

The offline demo preset (inpaint-fashion: gated convolutions, SN-PatchGAN, mixed stroke and
rectangle masks, 10-60 % missing) trains for ``--minutes`` of training clock (``train.minutes``)
on the Fashion-MNIST train split (set ``GANFORGE_DATASETS`` to the folder holding it; the embedded
test split stands in, with a note, where it is not found, and the scores are then not held out),
then ``ganforge eval``'s evaluator scores it on the first ``--n`` images of the test split with
fixed, seeded masks per kind (rectangles, strokes) and band (10-20, 20-40, 40-60 % missing): PSNR
in the hole, SSIM over the hole's box, whole-image PSNR/SSIM and FD-FMNIST of the completed
images, for the model, mean fill and cv2.inpaint (Telea, Navier-Stokes). fp32 throughout.

The result (protocol, machine, threads, minutes, images seen, every score) goes to
``benchmarks/results/inpaint-quality-cpu.json`` and the table to stdout (``--table`` prints the
recorded one as markdown for the README).

    GANFORGE_DATASETS=... OPENBLAS_NUM_THREADS=1 \
        python benchmarks/inpaint_quality.py --minutes 7 --n 1000 --threads 1 --shared
    GANFORGE_DATASETS=... OPENBLAS_NUM_THREADS=1 \
        python benchmarks/inpaint_quality.py --images 120000 --n 1000 --threads 1 --shared
    python benchmarks/inpaint_quality.py --table
    python benchmarks/inpaint_quality.py --minutes 0.2 --n 300 --out /tmp/inp.json   # smoke test

On a CPU shared with other work the figures of images seen per minute fall; the result records
the threads and says whether the CPU was shared (``--shared``). Set OPENBLAS_NUM_THREADS to the
threads given: on a shared 2-core CPU an oversubscribed BLAS made each 256-d Frechet distance
100x slower (1.5 s instead of 15 ms for one eigendecomposition).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from _machine import cpu_name  # benchmarks/ is on sys.path
from ganforge.config import load_config
from ganforge.evaluation import EvalOptions, jsonable, protocol_hash
from ganforge.evaluation.inpainting import table
from ganforge.images import atomic_write_bytes
from ganforge.runs import load_run
from ganforge.train.trainer import Trainer
from ganforge.version import __version__

RESULTS = Path(__file__).parent / "results" / "inpaint-quality-cpu.json"
PRESET = "inpaint-fashion"
SHOWN = ("hole_psnr", "box_ssim", "fd")


def train_and_score(args: argparse.Namespace) -> dict[str, Any]:
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        over = {
            "out_dir": tmp,
            # An image budget makes the scores independent of how busy the CPU was; a clock
            # budget (the default) measures quality per CPU-minute on an idle one.
            **(
                {"train.images": args.images}
                if args.images
                else {"train.minutes": args.minutes, "train.images": 10**9}
            ),
            "train.checkpoint_every": 10**9,
            "train.sample_every": 10**9,
            "train.report": False,
            "runtime.progress": False,
            "runtime.tensorboard": False,
            "runtime.threads": args.threads,
        }
        t0 = time.perf_counter()
        trainer = Trainer(load_config(PRESET, over)).fit()
        train_s = time.perf_counter() - t0
        data_report = json.loads((trainer.run_dir / "data_report.json").read_text())
        run = load_run(trainer.run_dir)
        t0 = time.perf_counter()
        res = run.task.evaluate(run, EvalOptions(n=args.n, seed=0), say=print)
        eval_s = time.perf_counter() - t0
    protocol = res["protocol"]
    protocol["hash"] = protocol_hash(protocol)
    return {
        "preset": PRESET,
        "minutes": None if args.images else args.minutes,
        "images_budget": args.images,
        "images_seen": run.images_seen,
        "train_split": data_report.get("split"),
        "train_s": round(train_s, 1),
        "eval_s": round(eval_s, 1),
        "threads": args.threads,
        "shared_cpu": args.shared,
        "precision": "fp32",
        "machine": f"{cpu_name()}, {os.cpu_count()} cores",
        "torch": torch.__version__,
        "ganforge": __version__,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "metrics": res["metrics"],
        "protocol": protocol,
    }


def markdown(result: dict[str, Any]) -> str:
    """Per kind and band, the model next to the baselines: hole PSNR, box SSIM, FD-FMNIST."""
    m = result["metrics"]
    methods = [k for k in ("model", "telea", "ns", "mean") if f"strokes.10-20.{k}.psnr" in m]
    head = "| masks | missing | " + " | ".join(f"{s} {meth}" for s in SHOWN for meth in methods)
    lines = [head + " |", "|" + "---|" * (2 + len(SHOWN) * len(methods))]
    for key, share in result["protocol"]["masks"]["mean_share"].items():
        kind, band = key.split(".")
        cells = []
        for s in SHOWN:
            vals = {meth: m.get(f"{kind}.{band}.{meth}.{s}") for meth in methods}
            best = (min if s == "fd" else max)(
                (v for v in vals.values() if v is not None), default=None
            )
            for meth in methods:
                v = vals[meth]
                text = "-" if v is None else f"{v:.3f}" if s == "box_ssim" else f"{v:.2f}"
                cells.append(f"**{text}**" if v is not None and v == best else text)
        lines.append(f"| {kind} {band} % | {share:.2f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=7.0, help="training clock (default 7)")
    p.add_argument(
        "--images", type=int, default=0, help="train to this many images instead of --minutes"
    )
    p.add_argument("--n", type=int, default=2000, help="test images per mask set (default 2000)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    p.add_argument("--shared", action="store_true", help="record that the CPU was shared")
    p.add_argument("--out", type=Path, default=RESULTS, help="result JSON")
    p.add_argument("--table", action="store_true", help="print the recorded table as markdown")
    args = p.parse_args(argv)
    if args.table:
        print(markdown(json.loads(args.out.read_text())))
        return 0
    if args.shared:
        print("note: the CPU is shared with other work: speeds here are lower than on an idle one")
    result = train_and_score(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(args.out, (json.dumps(jsonable(result), indent=2) + "\n").encode())
    print(table(result["metrics"]))
    print()
    print(markdown(result))
    print(
        f"\n{result['images_seen']:,} images in {result['train_s'] / 60:.1f} min"
        f" ({args.threads} thread(s), fp32);"
        f" written to {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
