"""FD-Lite1's bias against n on real data, and the halves / noise table: where FD-Lite1 is refused.

    python benchmarks/fd_bias.py --emoji /tmp/emoji/package/img/google/64 \
        [--features-cache /tmp/fd-bias-features] [--repeats 5] [--threads 2] \
        [--fmnist-n 10000] [--out benchmarks/results/fd-bias-lite1.json] \
        [--extract-only emoji|fashion-mnist|noise]

The emoji are the 64 px PNGs of npm ``emoji-datasource-google`` (MIT; ``cd /tmp && npm pack
emoji-datasource-google && tar xzf emoji-datasource-google-*.tgz``: ``package/img/google/64/``,
~3,800 RGBA, LA and palette images), read as ``ganforge eval`` reads a folder (``load_folder``,
alpha composited onto white). Fashion-MNIST is the embedded 10k test split at the default 32 px
(its first ``--fmnist-n``, all 10,000 by default: n up to 5,000 per side).
Noise is 3,000 images of uniform RGB noise, 64 px, seed 0.

1. **Bias.** Two disjoint random samples of n real images each (``--repeats`` draws) have a true
   Frechet distance of 0, so their FD is all bias. For each n: the mean and std over draws of FD,
   n x FD (constant where the bias follows 1/n, Chong & Forsyth 2020) and KID of the first draw
   (100 subsets of min(1000, n // 2)); KID also below n = 1280, where FD does not exist.
2. **The minimum** (``FD_MIN_SAMPLES`` in ``src/ganforge/metrics/imagenet.py``): the smallest n of
   the grid whose FD bias is at most ``--factor`` (5) times the bias at 10,000 samples per side, the
   count of reported numbers. The table shows the bias falling as c / n (n x FD nearly constant,
   even just above n = D = 1280), so the bias at 10,000 is c / 10,000 with c = n x FD at the
   largest Fashion-MNIST n measured (5,000 per side by default). Below the minimum an FD says more
   about the sample count than about the images: a score of 2,000 samples already carries 5 times
   the bias of a reported one.
3. **Halves and noise** (the README table): FD and KID between two disjoint halves of a real set
   and between one half and noise, at several n, for the emoji and for Fashion-MNIST; FD below
   the minimum is refused (with, above n = 1280, the value it would have had).

Features are extracted once with the "lite1" extractor and cached in ``--features-cache`` (npz,
named by the weights' SHA-256), so the tables can be recomputed without the slow part. On a
shared, oversubscribed CPU one thread per process wastes less time in OpenMP barriers: e.g. run
``--extract-only fashion-mnist --threads 1`` beside ``--extract-only emoji --threads 1``, then the
plain command, which finds the features cached.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

from ganforge.config import DataConfig
from ganforge.data import load_data
from ganforge.data.sources.folder import load_folder
from ganforge.metrics.features import Extractor, load_extractor
from ganforge.metrics.fid import frechet_distance_from_features
from ganforge.metrics.imagenet import FD_MIN_SAMPLES, FEATURE_DIM
from ganforge.metrics.kid import kid, subset_size_for
from ganforge.version import __version__

BIAS_GRID = (250, 500, 1000, 1300, 1500, 1750, 2000, 2500, 3000, 4000, 5000)
HALVES_GRID = (250, 500, 1000, 1500, 2000, 3000, 5000)  # and half the set
REPORTED_N = 10_000  # samples per side of reported numbers (README, Evaluation)
NOISE_N = 3000  # noise is far from any real set at every n; FD from 2,000 up needs that many
CHUNK = 512  # images per extraction call, for progress lines


def features(
    name: str, images: torch.Tensor, ext: Extractor, cache: Path, batch: int
) -> np.ndarray:
    """(N, 1280) Lite1 features of ``images``, cached by name, count and weights (and chunk by
    chunk while extracting, so an interrupted run resumes where it stopped)."""
    stem = f"{name}-n{len(images)}-{ext.weights_sha256[:12]}"
    path = cache / f"{stem}.npz"
    if path.is_file():
        return np.load(path)["pool"]
    cache.mkdir(parents=True, exist_ok=True)
    parts, t0, fresh = [], time.perf_counter(), 0
    for i in range(0, len(images), CHUNK):
        part = cache / f"{stem}.part{i // CHUNK:04d}.npz"
        if part.is_file():
            parts.append(np.load(part)["pool"])
            continue
        parts.append(ext.extract(images[i : i + CHUNK], batch)["pool"])
        np.savez(part, pool=parts[-1])
        fresh += len(parts[-1])
        rate = fresh / (time.perf_counter() - t0)
        done = min(i + CHUNK, len(images))
        print(f"  {name}: {done:,}/{len(images):,} ({rate:.1f} img/s)", file=sys.stderr)
    pool = np.concatenate(parts)
    np.savez(path, pool=pool)
    for part in cache.glob(f"{stem}.part*.npz"):
        part.unlink()
    return pool


def disjoint(total: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    perm = np.random.default_rng(seed).permutation(total)
    return perm[:n], perm[n : 2 * n]


def kid_pair(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    return kid(a, b, 100, subset_size_for(len(a), len(b)), 2020)


def bias_rows(name: str, feats: np.ndarray, repeats: int) -> list[dict]:
    rows = []
    half = len(feats) // 2
    for n in sorted({*(n for n in BIAS_GRID if n <= half), half}):
        fds = []
        if n > FEATURE_DIM:
            for r in range(repeats):
                ia, ib = disjoint(len(feats), n, r)
                fds.append(frechet_distance_from_features(feats[ia], feats[ib]))
        ia, ib = disjoint(len(feats), n, 0)
        k, k_std = kid_pair(feats[ia], feats[ib])
        row = {"data": name, "n": n, "draws": len(fds), "kid": k, "kid_std": k_std}
        if fds:
            row.update(
                fd_mean=float(np.mean(fds)),
                fd_std=float(np.std(fds)),
                n_times_fd=float(n * np.mean(fds)),
            )
        rows.append(row)
        print(f"  {name} n={n}: {row}", file=sys.stderr)
    return rows


def annotate_bias(rows: list[dict]) -> float:
    """The bias at ``REPORTED_N`` per side, extrapolated as c / REPORTED_N with c = n x FD at the
    largest n of ``rows``; each row gets its ``bias_vs_reported`` (FD / that bias)."""
    with_fd = [r for r in rows if "fd_mean" in r]
    bias_reported = with_fd[-1]["n_times_fd"] / REPORTED_N
    for r in with_fd:
        r["bias_vs_reported"] = r["fd_mean"] / bias_reported
    return bias_reported


def minimum_from(rows: list[dict], factor: float) -> int:
    """Smallest grid n whose FD bias is at most ``factor`` times the bias at ``REPORTED_N``."""
    bias_reported = annotate_bias(rows)
    ok = [r["n"] for r in rows if "fd_mean" in r and r["fd_mean"] <= factor * bias_reported]
    if not ok:
        raise SystemExit(f"no measured n has a bias within {factor}x of n = {REPORTED_N:,}")
    return min(ok)


def halves_rows(name: str, real: np.ndarray, noise: np.ndarray) -> list[dict]:
    """FD and KID of two disjoint halves of ``real``, and of one half against noise, at several n
    (FD only from the minimum up; below it, above n = D, what it would have said)."""
    rows = []
    half = len(real) // 2
    for n in sorted({*(n for n in HALVES_GRID if n <= half), half}):
        ia, ib = disjoint(len(real), n, 0)
        a, b = real[ia], real[ib]
        pairs = [("halves", b)] + ([("vs noise", noise[:n])] if n <= len(noise) else [])
        for pair, other in pairs:
            row: dict = {"data": name, "pair": pair, "n": n}
            if n >= FD_MIN_SAMPLES:
                row["fd"] = frechet_distance_from_features(a, other)
            else:
                row["fd"] = None
                row["fd_note"] = f"refused (n < {FD_MIN_SAMPLES:,})"
                if n > FEATURE_DIM:  # what it would have said: shown to justify the refusal
                    row["fd_if_computed"] = frechet_distance_from_features(a, other)
            row["kid"], row["kid_std"] = kid_pair(a, other)
            rows.append(row)
            print(f"  {row}", file=sys.stderr)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--emoji", type=Path, required=True, help="folder of the 64 px emoji PNGs")
    ap.add_argument("--features-cache", type=Path, default=Path("/tmp/fd-bias-features"))
    ap.add_argument("--repeats", type=int, default=5, help="disjoint draws per n")
    ap.add_argument(
        "--factor", type=float, default=5.0, help="bias allowed, relative to n = 10,000"
    )
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument(
        "--fmnist-n", type=int, default=10_000, help="Fashion-MNIST test images (n up to half)"
    )
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/fd-bias-lite1.json"))
    ap.add_argument(
        "--extract-only",
        choices=["emoji", "fashion-mnist", "noise"],
        help="only extract (and cache) one set's features, e.g. in parallel single-thread runs",
    )
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)

    ext = load_extractor("lite1")
    emoji_data = load_folder(args.emoji, 64, 3, "white")
    emoji_images = emoji_data.images  # (N, 3, 64, 64), alpha composited onto white
    fmnist_images = load_data(DataConfig(source="fashion-mnist", split="test")).images
    fmnist_images = fmnist_images[: args.fmnist_n]  # the first n, in the split's order
    noise_images = torch.randint(
        0, 256, (NOISE_N, 3, 64, 64), generator=torch.Generator().manual_seed(0)
    ).to(torch.uint8)
    sets = {
        "emoji": ("emoji-google-64", emoji_images),
        "fashion-mnist": ("fashion-mnist-test", fmnist_images),
        "noise": ("noise-64", noise_images),
    }
    if args.extract_only:
        features(*sets[args.extract_only], ext, args.features_cache, args.batch)
        return 0
    emoji, fmnist, noise = (features(*sets[k], ext, args.features_cache, args.batch) for k in sets)

    bias = bias_rows("fashion-mnist test (32 px)", fmnist, args.repeats)
    bias += bias_rows("emoji-google 64 px", emoji, args.repeats)
    fm_rows = [r for r in bias if r["data"].startswith("fashion")]
    chosen = minimum_from(fm_rows, args.factor)
    annotate_bias([r for r in bias if r["data"].startswith("emoji")])  # its own c
    halves = halves_rows("emoji-google 64 px", emoji, noise)
    halves += halves_rows("fashion-mnist test (32 px)", fmnist, noise)
    result = {
        "what": "FD-Lite1 bias (FD of disjoint real samples, true value 0) against n; "
        "halves/noise table",
        "command": "python benchmarks/fd_bias.py " + " ".join(argv or sys.argv[1:]),
        "extractor": ext.protocol,
        "data": {
            "emoji": f"{args.emoji} ({len(emoji_images):,} images, load_folder 64 px RGB, "
            "alpha onto white; npm emoji-datasource-google, MIT)",
            "fashion-mnist": f"embedded test split, first {len(fmnist_images):,} images, 32 px",
            "noise": f"{NOISE_N:,} images of uniform RGB uint8 noise, 64 px, torch seed 0",
        },
        "rule": f"minimum n = smallest grid n whose FD bias (FD of disjoint real samples) is "
        f"at most {args.factor:g}x the bias at {REPORTED_N:,} per side, extrapolated as c/n with "
        f"c = n*FD at the largest Fashion-MNIST n ({fm_rows[-1]['n']:,} per side); "
        "bias_vs_reported in each row is FD / (c / 10,000) with its own data set's c",
        "minimum_measured": chosen,
        "fd_min_samples_in_code": FD_MIN_SAMPLES,
        "bias": bias,
        "halves_and_noise": halves,
        "kid": "100 subsets of min(1000, n // 2), seed 2020; first draw only",
        "machine": {"cpu": platform.processor() or platform.machine(), "threads": args.threads},
        "torch": torch.__version__,
        "ganforge": __version__,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"minimum n by the rule: {chosen:,} (in code: {FD_MIN_SAMPLES:,}); wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
