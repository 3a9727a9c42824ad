"""R3GAN's training speed on this machine, by setting, beside DCGAN in the same invocation.

Each setting trains in a fresh process (so no allocator or thread state carries over) on random
stand-in images of the preset's shape: a few warm-up iterations, then the Trainer's own iteration
(every phase, R1 + R2 where due, the EMA update) timed over ~1,300 images; img/s counts real
images shown to D. The settings show what R3GAN's cost on a CPU is made of: R1 + R2 need the
gradient of D's gradient (a double backward through every convolution), which ``r3gan.reg_every``
spreads out (StyleGAN2's lazy regularisation); the full-resolution stages dominate, which the
width at full resolution (``model.d_width``, ``model.g_width``) sets; memory layout and precision
matter less. Rows go to ``benchmarks/results/r3gan-speed-cpu.json`` with the CPU model.

    python benchmarks/r3gan_speed.py
    python benchmarks/r3gan_speed.py --threads 1
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
from pathlib import Path

from _machine import cpu_info  # benchmarks/ is on sys.path

RESULTS = Path(__file__).parent / "results" / "r3gan-speed-cpu.json"
PRESET = "r3gan-fashion-mnist"
SETTINGS: list[tuple[str, str, dict, int]] = [
    ("DCGAN-32 (reference)", "dcgan-fashion-mnist", {"train.batch_size": 64}, 32),
    (
        "R3GAN, paper: R1+R2 every step, D full-res width 64",
        PRESET,
        {"r3gan.reg_every": 1, "model.d_width": 64},
        28,
    ),
    (
        "  fp32 instead of auto",
        PRESET,
        {"r3gan.reg_every": 1, "model.d_width": 64, "runtime.precision": "fp32"},
        28,
    ),
    (
        "  channels_last",
        PRESET,
        {"r3gan.reg_every": 1, "model.d_width": 64, "runtime.channels_last": True},
        28,
    ),
    ("  R1+R2 every 4th step", PRESET, {"r3gan.reg_every": 4, "model.d_width": 64}, 28),
    ("  every 4th, D full-res width 32 (the preset)", PRESET, {}, 28),
    ("  every 8th, D width 32", PRESET, {"r3gan.reg_every": 8}, 28),
    ("  every 8th, G and D width 32", PRESET, {"r3gan.reg_every": 8, "model.g_width": 32}, 28),
]
CHILD = r"""
import json, sys, time, torch
from ganforge.config import load_config
from ganforge.data.dataset import ImageData
from ganforge.train.trainer import Trainer
preset, over, size, threads = json.loads(sys.argv[1])
torch.set_num_threads(threads)
cfg = load_config(preset, {"out_dir": "/tmp/ganforge-r3gan-speed", "runtime.progress": False,
    "runtime.tensorboard": False, "train.eval_every": 0, **over})
g = torch.Generator().manual_seed(0)
images = torch.randint(0, 256, (2048, 1, size, size), generator=g, dtype=torch.uint8)
t = Trainer(cfg, data=ImageData(images, None, 0, "random", report={"source": "random"}))
for _ in range(3):
    t._iteration(t._draws(), 0.0, False)
n = max(4, 1280 // cfg.train.batch_size)
t0 = time.perf_counter()
for _ in range(n):
    t._iteration(t._draws(), 0.0, False)
dt = (time.perf_counter() - t0) / n
print(json.dumps({"img_per_s": cfg.train.batch_size * t.draws_per_iteration / dt,
                  "dtype": t.task.precision}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    rows = []
    for label, preset, over, size in SETTINGS:
        job = json.dumps([preset, over, size, args.threads])
        r = subprocess.run([sys.executable, "-c", CHILD, job], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"{label}: failed\n{r.stderr[-2000:]}")
        out = json.loads(r.stdout.strip().splitlines()[-1])
        rows.append({"setting": label, "preset": preset, "overrides": over, **out})
        print(f"{out['img_per_s']:8.1f} img/s  {out['dtype']:5s} {label}", flush=True)
    record = {
        "rows": rows,
        **cpu_info(),
        "threads": args.threads,
        "date": datetime.date.today().isoformat(),
        "command": " ".join(["python", "benchmarks/r3gan_speed.py", *sys.argv[1:]]),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
