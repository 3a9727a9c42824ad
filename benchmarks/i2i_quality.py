"""Image-to-image quality after a fixed training budget, against the trivial baselines.

Each offline demo preset trains for ``--images`` images on the Fashion-MNIST train split (the
embedded test split stands in, with a note, where the train split is not found), then its generator
is scored by ``ganforge.i2i_eval.evaluate_run`` on the first ``--n`` items of the test split, the
protocol of ``ganforge eval RUN``:

- pix2pix-edges2fashion: PSNR / SSIM of G(edges) against the items, beside the trivial baseline of
  returning the input (the edge map) unchanged; FD-FMNIST of the outputs against the items.
- cyclegan-fashion (sneakers -> ankle boots): FD-FMNIST of G(sneakers) against real ankle boots,
  the share of G(sneakers) the Fashion-MNIST classifier calls "Ankle boot", the cycle
  reconstruction error; baselines: the same scores of the untranslated sneakers.
- srgan-fashion-x4: PSNR / SSIM (4 border pixels cropped) of G(8 px LR) against the 32 px items,
  beside bicubic upscaling of the same LR input.

Rows are appended to ``benchmarks/results/i2i-quality-cpu.json`` and printed as a markdown table.

    python benchmarks/i2i_quality.py                                   # the recorded budgets
    python benchmarks/i2i_quality.py --images pix2pix-edges2fashion=20000 --n 2000
    python benchmarks/i2i_quality.py --table
    python benchmarks/i2i_quality.py --images all=64 --n 300 --out /tmp/i2i-q.json    # smoke test
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

import ganforge
from ganforge.config import load_config
from ganforge.evaluation import protocol_hash
from ganforge.i2i_eval import evaluate_run
from ganforge.images import atomic_write_bytes
from ganforge.inference import load_translator
from ganforge.train.trainer import Trainer

RESULTS = Path(__file__).parent / "results" / "i2i-quality-cpu.json"
BUDGETS = {  # images per preset: a few minutes each on 2 CPU cores
    "pix2pix-edges2fashion": 40_000,
    "cyclegan-fashion": 8_000,
    "srgan-fashion-x4": 40_000,
}
SHOWN = {
    "pix2pix-edges2fashion": ["psnr", "psnr_input", "ssim", "ssim_input", "fd_fmnist"],
    "cyclegan-fashion": [
        "fd_fmnist",
        "fd_fmnist_baseline",
        "target_class_accuracy",
        "target_class_accuracy_baseline",
        "cycle_error",
    ],
    "srgan-fashion-x4": ["psnr", "psnr_bicubic", "ssim", "ssim_bicubic", "fd_fmnist"],
}


def parse_budgets(specs: list[str]) -> dict[str, int]:
    budgets = dict(BUDGETS)
    for spec in specs:
        name, _, value = spec.partition("=")
        if name == "all":
            budgets = {k: int(float(value)) for k in budgets}
        elif name in budgets:
            budgets[name] = int(float(value))
        else:
            sys.exit(f"--images {spec}: preset must be one of {', '.join(BUDGETS)} or all")
    return budgets


def measure(preset: str, images: int, n: int, out_dir: Path) -> dict[str, Any]:
    over = {
        "out_dir": str(out_dir),
        "train.images": images,
        "train.log_every": max(images // 10, 32),
        "train.sample_every": images,
        "train.checkpoint_every": images,
        "runtime.progress": False,
        "runtime.tensorboard": False,
    }
    trainer = Trainer(load_config(preset, over))
    t0 = time.perf_counter()
    trainer.fit()
    train_s = time.perf_counter() - t0
    tr = load_translator(trainer.run_dir, ema=False)
    reverse = None
    if trainer.cfg.model.task == "cyclegan":
        reverse = load_translator(trainer.run_dir, direction="BtoA", ema=False)
    result = evaluate_run(tr, n=n, seed=0, reverse=reverse)
    result["protocol"]["hash"] = protocol_hash(result["protocol"])
    return {
        "preset": preset,
        "images": images,
        "train_s": round(train_s, 1),
        "img_per_s": round(images / train_s, 1),
        "train_split": trainer.data.report.get("split"),
        "metrics": result["metrics"],
        "protocol": result["protocol"],
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "ganforge": ganforge.__version__,
        "torch": torch.__version__,
        "cpu": platform.processor() or platform.machine(),
        "threads": torch.get_num_threads(),
        "precision": trainer.precision,
    }


def table(rows: list[dict[str, Any]]) -> str:
    lines = []
    for preset in BUDGETS:
        mine = [r for r in rows if r["preset"] == preset]
        if not mine:
            continue
        cols = SHOWN[preset]
        lines += [f"\n**{preset}**\n", "| images | train s | " + " | ".join(cols) + " |"]
        lines.append("|" + " --- |" * (len(cols) + 2))
        for r in mine:
            vals = [r["metrics"].get(c) for c in cols]
            cells = ["-" if v is None else f"{v:.4g}" for v in vals]
            lines.append(f"| {r['images']:,} | {r['train_s']:.0f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", action="append", default=[], metavar="PRESET=N")
    p.add_argument("--presets", default=",".join(BUDGETS), help="comma-separated subset")
    p.add_argument("--n", type=int, default=2000, help="test items scored (default 2000)")
    p.add_argument("--out", type=Path, default=RESULTS)
    p.add_argument("--table", action="store_true", help="print the recorded rows and exit")
    args = p.parse_args()
    rows = json.loads(args.out.read_text()) if args.out.is_file() else []
    if not isinstance(rows, list):
        sys.exit(f"{args.out} is not a list of i2i_quality rows: give another --out")
    if not args.table:
        budgets = parse_budgets(args.images)
        with tempfile.TemporaryDirectory() as tmp:
            for preset in args.presets.split(","):
                row = measure(preset, budgets[preset], args.n, Path(tmp))
                print(json.dumps({k: row[k] for k in ("preset", "images", "train_s", "metrics")}))
                rows.append(row)
                args.out.parent.mkdir(parents=True, exist_ok=True)
                atomic_write_bytes(args.out, (json.dumps(rows, indent=1) + "\n").encode())
    print(table(rows))


if __name__ == "__main__":
    main()
