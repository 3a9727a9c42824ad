"""Image-to-image quality after a fixed training budget, against the trivial baselines.

Each offline demo preset trains for a budget of images on the Fashion-MNIST train split (the
embedded test split stands in, with a note, where the train split is not found), then its generator
is scored by its task's evaluator (``ganforge eval``'s) on the first ``--n`` items of the test split, the
protocol of ``ganforge eval RUN``:

- pix2pix-edges2fashion: PSNR / SSIM of G(edges) against the items, beside the trivial baseline of
  returning the input (the edge map) unchanged; FD-FMNIST of the outputs (and of the edge maps)
  against the items.
- cyclegan-fashion (sneakers -> ankle boots): FD-FMNIST of G(sneakers) against real ankle boots,
  the share of G(sneakers) the Fashion-MNIST classifier calls "Ankle boot", the cycle
  reconstruction error; baselines: the same scores of the untranslated sneakers. The test split
  holds 1,000 of each class: that is n.
- srgan-fashion-x4: PSNR / SSIM (4 border pixels cropped; grey images, so all channels) of
  G(8 px LR) against the 32 px items, beside bicubic upscaling of the same LR input. The budget is
  split as in the preset, a third of MSE pre-training (SRResNet) and two thirds adversarial
  (SRGAN); both lengths are in every row, and a row whose adversarial phase never ran is refused.

Budgets are images, not minutes, so a row means the same thing on any machine. pix2pix and SRGAN
train their preset's whole budget; CycleGAN 36,000 of its preset's 60,000 images (its lr decays
linearly over those 36,000), so its row is the figure of that shorter run. On our 2-core CPU
(2 threads, nothing else running) training took about 56 minutes: pix2pix 5 ms, CycleGAN 62 ms and
SRGAN 4.6 ms per image, plus under a minute of scoring (``train_s`` and ``eval_s`` of each row
say how long they took where they ran). Run nothing else meanwhile: an oversubscribed CPU slows
PyTorch tenfold. Rows are appended to
``benchmarks/results/i2i-quality-cpu.json`` and printed as a markdown table.

    python benchmarks/i2i_quality.py                                   # the recorded budgets
    python benchmarks/i2i_quality.py --images pix2pix-edges2fashion=20000 --n 2000
    python benchmarks/i2i_quality.py --table
    python benchmarks/i2i_quality.py --images all=96 --n 300 --out /tmp/i2i-q.json    # smoke test
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

from ganforge.config import load_config
from ganforge.evaluation import EvalOptions, protocol_hash
from ganforge.images import atomic_write_bytes
from ganforge.runs import load_run
from ganforge.train.trainer import Trainer
from ganforge.version import __version__

RESULTS = Path(__file__).parent / "results" / "i2i-quality-cpu.json"
BUDGETS = {  # training images per preset; minutes on our 2-core CPU
    "pix2pix-edges2fashion": 120_000,  # the preset's own budget (5 ms/img: ~10 min)
    "cyclegan-fashion": 36_000,  # of the preset's 60,000 (62 ms/img: ~37 min)
    "srgan-fashion-x4": 120_000,  # the preset's: 40,000 MSE + 80,000 GAN (4.6 ms/img: ~9 min)
}
SHOWN = {
    "pix2pix-edges2fashion": [
        "psnr",
        "psnr_input",
        "ssim",
        "ssim_input",
        "fd_fmnist",
        "fd_fmnist_baseline",
    ],
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


def phases(preset: str, images: int) -> dict[str, int]:
    """SRGAN: pre-training images, the preset's share of ``images`` in whole batches, and the
    adversarial rest; the other presets have a single phase."""
    cfg = load_config(preset)
    if not preset.startswith("srgan"):
        return {"pretrain_images": 0, "adversarial_images": images}
    share, batch = cfg.i2i.pretrain_images / cfg.train.images, cfg.train.batch_size
    pretrain = round(images * share / batch) * batch
    if images - pretrain < batch:
        sys.exit(
            f"--images {preset}={images}: too small for an adversarial phase after pretraining"
        )
    return {"pretrain_images": pretrain, "adversarial_images": images - pretrain}


def measure(preset: str, images: int, n: int, out_dir: Path) -> dict[str, Any]:
    split = phases(preset, images)
    over = {
        "out_dir": str(out_dir),
        "train.images": images,
        "train.log_every": max(images // 10, 32),
        "train.sample_every": images,
        "train.checkpoint_every": images,
        "runtime.progress": False,
        "runtime.tensorboard": False,
    }
    if preset.startswith("srgan"):
        over["i2i.pretrain_images"] = split["pretrain_images"]
    trainer = Trainer(load_config(preset, over))
    t0 = time.perf_counter()
    trainer.fit()
    train_s = time.perf_counter() - t0
    d_steps = int(trainer.task.d_steps)
    if d_steps == 0:  # an SRGAN row without its GAN phase would be an SRResNet figure
        sys.exit(f"{preset}: no discriminator step ran in {images} images: raise the budget")
    t1 = time.perf_counter()
    run = load_run(trainer.run_dir, ema=False)
    result = run.task.evaluate(run, EvalOptions(n=n, seed=0, batch=64))
    result.pop("name")
    result["protocol"]["hash"] = protocol_hash(result["protocol"])
    return {
        "preset": preset,
        "images": images,
        **split,
        "d_steps": d_steps,
        "train_s": round(train_s, 1),
        "eval_s": round(time.perf_counter() - t1, 1),
        "img_per_s": round(images / train_s, 1),
        "train_split": trainer.data.report.get("split"),
        "metrics": result["metrics"],
        "protocol": result["protocol"],
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "ganforge": __version__,
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
        sr = preset.startswith("srgan")
        head = "| images | " + ("pretrain + adversarial | " if sr else "") + "train s | "
        lines += [f"\n**{preset}**\n", head + " | ".join(cols) + " |"]
        lines.append("|" + " --- |" * (len(cols) + 2 + sr))
        for r in mine:
            vals = [r["metrics"].get(c) for c in cols]
            cells = ["-" if v is None else f"{v:.4g}" for v in vals]
            phase = ""
            if sr:  # rows recorded before the phases were written down have no such fields
                pre, adv = r.get("pretrain_images"), r.get("adversarial_images")
                phase = f"{pre:,} + {adv:,} | " if pre is not None else "? | "
            lines.append(
                f"| {r['images']:,} | {phase}{r['train_s']:.0f} | " + " | ".join(cells) + " |"
            )
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
        presets = args.presets.split(",")
        unknown = [x for x in presets if x not in BUDGETS]
        if unknown:
            sys.exit(f"--presets {unknown[0]}: one of {', '.join(BUDGETS)}")
        with tempfile.TemporaryDirectory() as tmp:
            for preset in presets:
                row = measure(preset, budgets[preset], args.n, Path(tmp))
                keys = ("preset", "images", "pretrain_images", "train_s", "metrics")
                print(json.dumps({k: row[k] for k in keys}), flush=True)
                rows.append(row)
                args.out.parent.mkdir(parents=True, exist_ok=True)
                atomic_write_bytes(args.out, (json.dumps(rows, indent=1) + "\n").encode())
    print(table(rows))


if __name__ == "__main__":
    main()
