"""How long the metrics take on this CPU: feature extraction and FD-FMNIST end to end.

    python benchmarks/metrics_speed.py [--n 10000] [--inception-n 16] [--threads 2] [--sqrtm]

Rows:
- fmnist features: extraction of ``--n`` Fashion-MNIST test images (28x28) with the shipped net.
- FD-FMNIST end to end: ``evaluate(fake, real, ["fid"])`` with ``--n`` images per side (test split
  as "fake", the first ``--n`` of the train split in ``--data-dir`` as real; without it, the test
  split halves), i.e. two extractions plus mean/covariance and the 256x256 matrix square root.
- KID / PR / DC on fmnist features: the feature-space part only, ``--n`` / 2 per side (KID: 100
  subsets of 1000, float64 matmul + k*k*k; ``--reference-kid`` also times the old ``** 3`` twin).
- Frechet distance from 2048-d statistics (Inception's size; random ReLU features, 4,096 samples
  per side): the eigh + svd fast path of ``metrics/fid.py``; with ``--sqrtm`` also the scipy sqrtm
  reference twin (~100 s) and their relative difference.
- inception features: ``--inception-n`` images, timed and *extrapolated* linearly to ``--n``
  (marked "extrapolated"); needs the FID Inception weights in the cache, else skipped with the
  reason. Random weights give the same speed, so ``--inception-random`` times those offline.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

import ganforge
from ganforge.data.sources.idx import read_idx
from ganforge.errors import GanforgeError
from ganforge.metrics.density_coverage import density_coverage
from ganforge.metrics.features import Extractor, load_extractor
from ganforge.metrics.fid import frechet_distance, frechet_distance_sqrtm, stats
from ganforge.metrics.kid import kid, subset_size_for
from ganforge.metrics.precision_recall import precision_recall
from ganforge.metrics.registry import evaluate

EMBEDDED = Path(ganforge.__file__).parent / "data" / "embedded"


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def inception_extractor(random_weights: bool) -> Extractor:
    if not random_weights:
        return load_extractor("inception")
    from ganforge.metrics.features import Extractor
    from ganforge.metrics.inception import RESIZE_PROTOCOL, FIDInceptionV3, InceptionFeatures

    return Extractor(
        "inception", InceptionFeatures(FIDInceptionV3()), "random", RESIZE_PROTOCOL, 2048
    )


def kid_reference(f: np.ndarray, r: np.ndarray, m: int) -> tuple[float, float]:
    """The first KID implementation (generic float64 ``** 3``), subsets as in ``kid``."""
    f, r = f.astype(np.float64), r.astype(np.float64)
    rng, d = np.random.RandomState(2020), f.shape[1]
    values = []
    for _ in range(100):
        x, y = f[rng.choice(len(f), m, replace=False)], r[rng.choice(len(r), m, replace=False)]
        kxx, kyy, kxy = ((a @ b.T / d + 1.0) ** 3 for a, b in ((x, x), (y, y), (x, y)))
        within = (kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (m * (m - 1))
        values.append(within - 2.0 * kxy.sum() / (m * m))
    return float(np.mean(values)), float(np.std(values))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--inception-n", type=int, default=16)
    ap.add_argument("--inception-random", action="store_true", help="time random weights")
    ap.add_argument("--sqrtm", action="store_true", help="also time the sqrtm FD twin (~100 s)")
    ap.add_argument("--reference-kid", action="store_true", help="also time the ** 3 KID twin")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=500)
    ap.add_argument("--data-dir", type=Path, default=Path("/usr/share/datasets/fashion-mnist"))
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)

    images = torch.from_numpy(read_idx(EMBEDDED / "t10k-images-idx3-ubyte.gz")).unsqueeze(1)
    n = min(args.n, len(images))
    rows: list[tuple[str, str, float, str]] = []

    fm = load_extractor("fmnist")
    feats, dt = timed(lambda: fm.extract(images[:n], args.batch_size))
    rows.append(("fmnist features", f"{n}", dt, f"{n / dt:,.0f} img/s"))

    train_file = args.data_dir / "train-images-idx3-ubyte.gz"
    if train_file.is_file():
        fake = images[:n]
        real = torch.from_numpy(read_idx(train_file)[:n]).unsqueeze(1)
    else:
        fake, real = images[: n // 2], images[n // 2 : n]
    out, dt = timed(lambda: evaluate(fake, real, ["fid"], fm, n=n, batch_size=args.batch_size))
    counts = f"{len(fake)}+{len(real)}"
    rows.append(("FD-FMNIST end to end", counts, dt, f"fd_fmnist={out['fd_fmnist']:.3f}"))

    half = n // 2
    f, r = feats["pool"][:half], feats["pool"][half:]
    m = subset_size_for(len(f), len(r))
    (km, _), dt = timed(lambda: kid(f, r, subset_size=m))
    rows.append((f"KID (100 x {m}) on features", f"{half}+{n - half}", dt, f"kid={km:.5f}"))
    if args.reference_kid:
        (km2, _), dt = timed(lambda: kid_reference(f, r, m))
        rows.append(("KID reference twin (** 3)", f"{half}+{n - half}", dt, f"kid={km2:.5f}"))
    (p, rc), dt = timed(lambda: precision_recall(f, r))
    rows.append(("precision/recall k=3", f"{half}+{n - half}", dt, f"P={p:.3f} R={rc:.3f}"))
    (de, co), dt = timed(lambda: density_coverage(f, r))
    rows.append(("density/coverage k=5", f"{half}+{n - half}", dt, f"D={de:.3f} C={co:.3f}"))

    rng = np.random.default_rng(0)
    mix = rng.normal(size=(2048, 2048)) / 45.0  # correlated features, like a network's
    big = [np.maximum(rng.normal(size=(4096, 2048)) @ mix + b, 0) for b in (0.0, 0.05)]
    s1, s2 = stats(big[0]), stats(big[1])
    fd, dt = timed(lambda: frechet_distance(*s1, *s2))
    rows.append(("Frechet distance 2048-d (eigh + svd)", "stats", dt, f"fd={fd:.6g}"))
    if args.sqrtm:
        ref, dt = timed(lambda: frechet_distance_sqrtm(*s1, *s2))
        note = f"fd={ref:.6g}, rel. diff {abs(fd - ref) / abs(ref):.1e}"
        rows.append(("Frechet distance 2048-d (sqrtm twin)", "stats", dt, note))

    try:
        inc = inception_extractor(args.inception_random)
        m = args.inception_n
        inc.extract(images[:2], 2)  # warm-up: first call allocates
        _, dt = timed(lambda: inc.extract(images[:m], 8))
        note = "random weights" if args.inception_random else "FID weights"
        rows.append((f"inception features ({note})", f"{m}", dt, f"{m / dt:.2f} img/s"))
        rows.append(
            ("inception features, EXTRAPOLATED", f"{n}", dt * n / m, f"linear from {m} images")
        )
    except GanforgeError as e:
        rows.append(("inception features", "-", float("nan"), f"skipped: {e}"[:120]))

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch_size}")
    print(f"{'what':38} {'images':>11} {'seconds':>9}  note")
    for what, count, sec, note in rows:
        print(f"{what:38} {count:>11} {sec:9.2f}  {note}")
    return 0


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    raise SystemExit(main())
