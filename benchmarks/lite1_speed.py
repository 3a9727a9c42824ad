"""How fast the "lite1" metric is on this CPU: EfficientNet-Lite1 features, 10k images, the rest.

    python benchmarks/lite1_speed.py [--n 1000] [--batches 32,64,128] [--threads 2] [--side 64]
        [--full] [--out benchmarks/results/lite1-speed-cpu.json]

Run it alone on the machine: other jobs on the same cores distort every number here.

Rows:
- load: the extractor from its wheel (SHA-256 of the 22 MB file, ``torch.load``, strict load).
- features: ``--n`` random ``--side`` px RGB uint8 images through the extractor (resize to 240 x
  240 included, as in every evaluation), for each batch size in ``--batches``: img/s.
- 10,000 images: the best batch's time, extrapolated linearly from ``--n`` (marked so), or
  measured with ``--full``.
- FD-Lite1 and KID-Lite1 from 1280-d features (5,000 per side; KID 100 subsets of 1,000): the
  statistics part of an evaluation, which does not depend on the network.
- reference cache: ``cached_reference`` of ``--n`` images computed, then read back (the second
  evaluation against the same folder pays only this).

The JSON records the CPU model, whether it has AVX512-BF16 (the extractor runs in fp32 either
way), threads, torch and ganforge versions, and the date.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import torch

from _machine import cpu_info, cpu_name  # benchmarks/ is on sys.path
from ganforge.metrics.features import load_extractor
from ganforge.metrics.fid import frechet_distance_from_features
from ganforge.metrics.kid import kid
from ganforge.metrics.reference import cached_reference
from ganforge.version import __version__


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="images timed per batch size")
    ap.add_argument("--batches", default="32,64,128", help="batch sizes to try")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--side", type=int, default=64, help="side of the (random) source images")
    ap.add_argument("--full", action="store_true", help="time 10,000 images, not extrapolate")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/lite1-speed-cpu.json"))
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows: list[dict[str, object]] = []

    ext, dt = timed(lambda: load_extractor("lite1"))
    rows.append({"what": "load extractor (sha256 + torch.load)", "seconds": dt})

    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (args.n, 3, args.side, args.side), generator=g)
    images = images.to(torch.uint8)
    ext.extract(images[:4], 4)  # warm-up: first calls allocate and pick kernels
    best = None
    for batch in (int(b) for b in args.batches.split(",")):
        _, dt = timed(lambda b=batch: ext.extract(images, b))
        rate = args.n / dt
        rows.append({"what": f"features, batch {batch}", "images": args.n, "seconds": dt,
                     "img_per_s": rate})  # fmt: skip
        if best is None or rate > best[1]:
            best = (batch, rate)
    assert best is not None
    if args.full:
        many = torch.randint(0, 256, (10_000, 3, args.side, args.side), generator=g)
        _, dt = timed(lambda: ext.extract(many.to(torch.uint8), best[0]))
        rows.append({"what": f"10,000 images, batch {best[0]}", "images": 10_000, "seconds": dt,
                     "img_per_s": 10_000 / dt})  # fmt: skip
    else:
        rows.append({"what": f"10,000 images, batch {best[0]} (EXTRAPOLATED from {args.n})",
                     "images": 10_000, "seconds": 10_000 / best[1]})  # fmt: skip

    rng = np.random.default_rng(0)
    mix = rng.normal(size=(1280, 1280)) / 36.0  # correlated ReLU6-like features, as the net's
    f1, f2 = (np.clip(rng.normal(size=(5000, 1280)) @ mix + b, 0, 6) for b in (0.0, 0.05))
    fd, dt = timed(lambda: frechet_distance_from_features(f1, f2))
    rows.append({"what": "FD-Lite1 from features (stats + eigh + svd)", "images": "5000+5000",
                 "seconds": dt, "value": fd})  # fmt: skip
    (km, _), dt = timed(lambda: kid(f1, f2, 100, 1000))
    rows.append({"what": "KID-Lite1, 100 subsets of 1,000", "images": "5000+5000",
                 "seconds": dt, "value": km})  # fmt: skip

    with tempfile.TemporaryDirectory() as folder:
        args_ref = (images, ext, "speed-test", "all", None, 0, None, best[0], folder)
        _, dt = timed(lambda: cached_reference(*args_ref))
        rows.append({"what": "reference statistics, computed and cached", "images": args.n,
                     "seconds": dt})  # fmt: skip
        _, dt = timed(lambda: cached_reference(*args_ref))
        rows.append({"what": "reference statistics, cache hit", "images": args.n, "seconds": dt})

    result = {
        "command": "python benchmarks/lite1_speed.py " + " ".join(argv or sys.argv[1:]),
        "cpu": {"model": cpu_name(), "avx512_bf16": cpu_info()["cpu_bf16_native"]},
        "threads": args.threads,
        "source_side": args.side,
        "precision": "fp32",
        "torch": torch.__version__,
        "ganforge": __version__,
        "date": date.today().isoformat(),
        "extractor": ext.protocol,
        "rows": rows,
    }
    print(f"{result['cpu']['model']}, {args.threads} threads, torch {torch.__version__}")
    for r in rows:
        rate = f"  {r['img_per_s']:.1f} img/s" if "img_per_s" in r else ""
        print(f"{r['what']:58} {str(r.get('images', '')):>10} {r['seconds']:9.2f} s{rate}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
