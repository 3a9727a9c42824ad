"""Prototype: does the DCGAN paper's semantic hash find planted near duplicates in Fashion-MNIST?

Radford et al. 2016, section 4.1.1, de-duplicated LSUN with the binarised 128-unit ReLU code of a
denoising, dropout-regularised autoencoder (``ganforge.models.autoencoder``). Here we plant known
duplicates and measure (``ganforge.metrics.near_duplicates``):

1. Base set: Fashion-MNIST at 32 px (``--split test``: the embedded 10k; ``train``: the 60k split
   where it is found). Plant ``--exact`` exact copies and ``--near`` near copies of distinct
   random sources, the near ones split evenly between a 1-px shift (zero fill), Gaussian noise
   (sigma 2-5 / 255), a brightness change (x 0.90-0.95 or x 1.05-1.10) and JPEG at quality 75.
2. Train the autoencoder on the base set with plain Adam (MSE to the clean image) and encode all;
   ``--align`` centres every image by mass first (``near_duplicates.center_by_mass``), for
   training and encoding alike.
3. Group with each method over a sweep of its threshold: the AE code binarised at 0 (the paper)
   or at each unit's median, grouped within Hamming radius r; pHash (``imagehash``, 64 bits) within
   Hamming radius t; pixel L2 (on [0, 1] values, sqrt of the sum over pixels) within distance t,
   swept over quantiles of the planted pairs' distances. Every method also groups pixel-identical
   images (as ``duplicate_groups`` does), and groups are connected components.
4. Score pairs: a planted near pair (copy, source) is found when both lie in one group.
   Near recall R = found / planted near pairs. Near precision P = found near pairs / all
   same-group pairs except pixel-identical ones (those are the exact stage's, always right), so a
   pair of two distinct originals that look alike counts against P. P_copies judges only the
   pairs with a planted copy in them: Fashion-MNIST's train split already holds many near
   duplicates (a contact sheet of the "false" pairs at r=3 showed look-alikes, their median
   pixel L2 below the planted pairs'), which P counts as errors.

    python benchmarks/dedup_prototype.py --code 256 --align --baselines --cache /tmp/dd
    GANFORGE_DATASETS=/path/to/datasets python benchmarks/dedup_prototype.py --split train \
        --code 512 --align --radii 0 4 8 10 11 12 --cost-split train

Findings (2026-12, a 2-core CPU shared with other jobs, load 10-14: times are indicative only).
MLP autoencoder, Adam 1e-3, batch 128, 6,000 steps, input noise 0.2, code dropout 0.1:

| base | code, prep | method | R | P |
|---|---|---|---:|---:|
| 10k test | 128, none | AE ReLU>0, r=2 / r=3 | 0.641 / 0.692 | 0.970 / 0.891 |
| 10k test | 256, none | AE ReLU>0, r=10 | 0.744 | 0.984 |
| 10k test | 256, centred | AE ReLU>0, r=6 / r=7 | 0.918 / 0.952 | 0.979 / 0.886 |
| 10k test | 256, centred | AE median, r=7 / r=8 | 0.952 / 0.967 | 0.945 / 0.915 |
| 10k test | none | pixel L2 at q0.7 of the planted distances | 0.700 | 0.990 |
| 10k test | centred | pixel L2 at q0.9 / q0.925 | 0.900 / 0.925 | 0.979 / 0.939 |
| 10k test | none / centred | pHash t=0 (t=2: P < 0.1) | 0.517 / 0.580 | 0.949 / 0.872 |
| 60k train | 256, centred | AE median, r=3 / r=4 | 0.756 / 0.838 | 0.925 / 0.852 |
| 60k train | 512, centred | AE ReLU>0, r=10 / r=11 | 0.896 / 0.916 | 0.912 / 0.898 |
| 60k train | 512, centred | AE median, r=10 / r=11 | 0.899 / 0.920 | 0.913 / 0.899 |
| 60k train | none | pHash t=0 | 0.516 | 0.402 |

At 60k/512 P_copies is 0.994-0.996 at r=10-11. Shifted copies are the hard kind: without
centring no AE setting found more than 3% of them at P >= 0.9; training with random 1-px shifts
as corruption (128 bits) made codes coarser for all images and P fell to 0.48 at r=2. The
exact-copy recall was 1.00 everywhere. Search cost at 60k codes: see near_duplicates.py.
"""

from __future__ import annotations

import argparse
import io
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from ganforge.config import DataConfig
from ganforge.data import load_data
from ganforge.metrics.near_duplicates import (
    BinaryCodes,
    binarize,
    center_by_mass,
    duplicate_groups,
    exact_duplicate_groups,
    hamming_pairs,
    hamming_pairs_reference,
    median_thresholds,
    multi_index_candidates,
)
from ganforge.models.autoencoder import ConvAutoencoder, MLPAutoencoder

KINDS = ("shift", "noise", "brightness", "jpeg")


def near_copy(img: np.ndarray, kind: str, rng: np.random.Generator) -> np.ndarray:
    """(1, H, W) uint8 -> a near copy of the given kind."""
    x = img[0].astype(np.float64)
    if kind == "shift":
        axis, step = int(rng.integers(2)), int(rng.choice([-1, 1]))
        x = np.roll(x, step, axis=axis)
        edge = 0 if step == 1 else -1  # the row or column that wrapped round: background
        if axis == 0:
            x[edge, :] = 0
        else:
            x[:, edge] = 0
    elif kind == "noise":
        x = x + rng.normal(0, rng.uniform(2, 5), x.shape)
    elif kind == "brightness":
        x = x * (1 + rng.choice([-1, 1]) * rng.uniform(0.05, 0.10))
    else:
        buf = io.BytesIO()
        Image.fromarray(img[0]).save(buf, format="JPEG", quality=75)
        x = np.asarray(Image.open(io.BytesIO(buf.getvalue())), dtype=np.float64)
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)[None]


def plant(base: torch.Tensor, n_exact: int, n_near: int, seed: int) -> dict[str, Any]:
    """Append copies of distinct random sources; return the set and the planted pairs."""
    rng = np.random.default_rng(seed)
    n = len(base)
    sources = rng.choice(n, n_exact + n_near, replace=False)
    u8 = base.numpy()
    copies, exact, near, kinds = [], [], [], []
    for k, s in enumerate(sources):
        idx = n + k
        if k < n_exact:
            copies.append(u8[s])
            exact.append((idx, int(s)))
        else:
            kind = KINDS[(k - n_exact) % len(KINDS)]
            copies.append(near_copy(u8[s], kind, rng))
            near.append((idx, int(s)))
            kinds.append(kind)
    images = torch.cat([base, torch.from_numpy(np.stack(copies))])
    return {"images": images, "exact": exact, "near": near, "kinds": kinds}


def build_autoencoder(shape: tuple[int, ...], args: argparse.Namespace) -> torch.nn.Module:
    if args.arch == "conv":
        return ConvAutoencoder(shape, args.code, args.width, args.noise, args.dropout)
    return MLPAutoencoder(shape, [*args.hidden, args.code], args.noise, args.dropout)


def train_autoencoder(images: torch.Tensor, args: argparse.Namespace) -> torch.nn.Module:
    torch.manual_seed(args.seed)
    ae = build_autoencoder(tuple(images.shape[1:]), args)
    opt = torch.optim.Adam(ae.parameters(), lr=args.lr)
    x_all = images.float() / 127.5 - 1  # (N, C, H, W) in [-1, 1]
    gen = torch.Generator().manual_seed(args.seed)
    t0 = time.perf_counter()
    ae.train()
    for step in range(args.steps):
        x = x_all[torch.randint(len(x_all), (args.batch,), generator=gen)]
        recon, code = ae(x)
        loss = torch.nn.functional.mse_loss(recon, x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % max(1, args.steps // 5) == 0 or step == args.steps - 1:
            on = (code > 0).float().mean().item()
            print(f"  step {step:6d} mse {loss.item():.4f} code on {on:.2f}", flush=True)
    print(f"  trained {args.steps} steps in {time.perf_counter() - t0:.0f} s (shared CPU)")
    return ae.eval()


@torch.no_grad()
def encode(ae: torch.nn.Module, images: torch.Tensor) -> torch.Tensor:
    out = [ae.encode(images[s : s + 1000].float() / 127.5 - 1) for s in range(0, len(images), 1000)]
    return torch.cat(out)


def labels_of(n: int, groups: list[list[int]]) -> np.ndarray:
    lab = np.full(n, -1, np.int64)
    for g, members in enumerate(groups):
        lab[members] = g
    return lab


def _pairs(groups: list[list[int]], below: int | None = None) -> int:
    """Same-group pairs, or only those of two members with index < ``below``."""
    sizes = [len(g) if below is None else sum(1 for k in g if k < below) for g in groups]
    return sum(k * (k - 1) // 2 for k in sizes)


def score(n: int, groups: list[list[int]], planted: dict[str, Any], exact: list[list[int]]) -> dict:
    lab = labels_of(n, groups)
    near = np.array(planted["near"])
    found = (lab[near[:, 0]] >= 0) & (lab[near[:, 0]] == lab[near[:, 1]])
    ex = np.array(planted["exact"])
    ex_found = (lab[ex[:, 0]] >= 0) & (lab[ex[:, 0]] == lab[ex[:, 1]])
    other = _pairs(groups) - _pairs(exact)  # same-group pairs that are not pixel-identical
    # Pairs of two base images may be near duplicates the data set already had (Fashion-MNIST's
    # train split has many): P_copies leaves them out and judges only pairs with a planted copy.
    n_base = n - len(planted["exact"]) - len(planted["near"])
    with_copy = other - (_pairs(groups, n_base) - _pairs(exact, n_base))
    kinds = np.array(planted["kinds"])
    return {
        "near_recall": float(found.mean()),
        "near_precision": float(found.sum() / other) if other else 1.0,
        "near_precision_copies": float(found.sum() / with_copy) if with_copy else 1.0,
        "exact_recall": float(ex_found.mean()),
        "groups": len(groups),
        "largest": max((len(g) for g in groups), default=0),
        "false_pairs": int(other - found.sum()),
        **{f"R_{k}": float(found[kinds == k].mean()) for k in KINDS},
    }


def pixel_l2_pairs(images: torch.Tensor, t_max: float, block: int = 2048) -> torch.Tensor:
    """(P, 3) float rows (i, j, d) with i < j and L2 distance d <= t_max on [0, 1] pixels."""
    x = images.reshape(len(images), -1).float() / 255
    out = []
    for s in range(0, len(x), block):
        d = torch.cdist(x[s : s + block], x[s:], compute_mode="use_mm_for_euclid_dist")
        i, j = torch.nonzero(d <= t_max, as_tuple=True)
        up = j > i
        i, j = i[up], j[up]
        out.append(torch.stack([(i + s).float(), (j + s).float(), d[i, j]], 1))
    return torch.cat(out)


def components(n: int, ij: np.ndarray) -> list[list[int]]:
    from ganforge.metrics.near_duplicates import _components  # the same union-find

    return _components(n, torch.from_numpy(ij.astype(np.int64)))


def phash_codes(images: torch.Tensor) -> BinaryCodes:
    import imagehash

    rows = []
    for img in images.numpy():
        h = imagehash.phash(Image.fromarray(img[0])).hash.flatten()  # 64 bool
        rows.append(np.packbits(h, bitorder="little"))
    return BinaryCodes(torch.from_numpy(np.stack(rows)), 64)


def search_cost(ae: torch.nn.Module, args: argparse.Namespace) -> None:
    """Time the radius search on every image of ``--cost-split`` (60k for the train split)."""
    images = load_data(DataConfig(split=args.cost_split, resolution=32)).images
    images = center_by_mass(images) if args.align else images
    t0 = time.perf_counter()
    codes = encode(ae, images)
    print(f"cost: encoded {len(images)} images in {time.perf_counter() - t0:.1f} s")
    for name, thr in (("relu>0", 0.0), ("median", median_thresholds(codes))):
        bits = binarize(codes, thr)
        for r in args.radii:
            t0 = time.perf_counter()
            pairs = hamming_pairs(bits, r)
            dt = time.perf_counter() - t0
            cand = multi_index_candidates(bits, r)
            print(f"cost {name} r={r}: {len(pairs)} pairs, {cand} candidates, {dt:.2f} s")
        sub = BinaryCodes(bits.packed[:5000], bits.n_bits)
        t0 = time.perf_counter()
        hamming_pairs_reference(sub, args.radii[-1])
        dt = time.perf_counter() - t0
        scale = (len(bits) / 5000) ** 2
        print(f"cost {name} exhaustive: {dt:.1f} s at 5000, ~{dt * scale:.0f} s at {len(bits)}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--split", default="test")
    p.add_argument("--exact", type=int, default=1000)
    p.add_argument("--near", type=int, default=1000)
    p.add_argument("--arch", default="mlp", choices=["mlp", "conv"])
    p.add_argument("--hidden", type=int, nargs="*", default=[], help="MLP layers before the code")
    p.add_argument("--code", type=int, default=128)
    p.add_argument("--width", type=int, default=32)
    p.add_argument("--noise", type=float, default=0.2, help="input noise std in [-1, 1] units")
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--align", action="store_true", help="centre every image by mass first")
    p.add_argument("--steps", type=int, default=20000)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--radii", type=int, nargs="*", default=[0, 1, 2, 3, 4, 6, 8])
    p.add_argument("--baselines", action="store_true", help="also pHash and pixel L2")
    p.add_argument("--no-pixel", action="store_true", help="skip pixel L2 (O(N^2) at 60k)")
    p.add_argument("--json", default=None, help="append the rows to this JSON-lines file")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--cost-split", default=None, help="also time the search on this split")
    p.add_argument("--cache", default=None, help="folder: reuse the codes of identical settings")
    args = p.parse_args()
    torch.set_num_threads(args.threads)

    base = load_data(DataConfig(split=args.split, resolution=32)).images  # uint8 (N, 1, 32, 32)
    planted = plant(base, args.exact, args.near, args.seed)
    images = planted["images"]
    n = len(images)
    exact = exact_duplicate_groups(images)
    n_base_dup = sum(len(g) - 1 for g in exact_duplicate_groups(base))
    print(f"{n} images ({len(base)} base, {n_base_dup} exact duplicates already in the base)")
    rows = []

    def report(method: str, setting: str, groups: list[list[int]], extra: dict) -> None:
        r = {
            "method": method,
            "setting": setting,
            **score(n, groups, planted, exact),
            **extra,
        }
        rows.append(r)
        print(
            f"{method:10s} {setting:12s} near R {r['near_recall']:.3f} P {r['near_precision']:.3f}"
            f" P_copies {r['near_precision_copies']:.3f}"
            f" exact R {r['exact_recall']:.2f} groups {r['groups']:5d} largest {r['largest']:4d}"
            f" | " + " ".join(f"{k} {r['R_' + k]:.2f}" for k in KINDS),
            flush=True,
        )

    if args.steps > 0:
        keys = (
            "split",
            "arch",
            "hidden",
            "code",
            "width",
            "noise",
            "dropout",
            "align",
            "steps",
            "batch",
        )
        cfg = {k: getattr(args, k) for k in (*keys, "lr", "seed")}
        path = None
        if args.cache:
            path = Path(args.cache) / ("-".join(f"{k}={v}" for k, v in cfg.items()) + ".pt")
        if path is not None and path.exists():
            ae = build_autoencoder(tuple(base.shape[1:]), args)
            ae.load_state_dict(torch.load(path))
            ae.eval()
        else:
            ae = train_autoencoder(center_by_mass(base) if args.align else base, args)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                torch.save(ae.state_dict(), path)
        codes = encode(ae, center_by_mass(images) if args.align else images)  # (N, code)
        if args.cost_split:
            search_cost(ae, args)
        for name, thr in (("relu>0", 0.0), ("median", median_thresholds(codes[: len(base)]))):
            bits = binarize(codes, thr)
            dens = bits.density()
            print(
                f"  {name}: bits on per image {bits.unpack().float().sum(1).mean():.1f}"
                f" of {bits.n_bits}; bits never on {(dens == 0).sum()},"
                f" always on {(dens == 1).sum()}"
            )
            for r in args.radii:
                t0 = time.perf_counter()
                groups = [g.members for g in duplicate_groups(bits, r, images)]
                dt = time.perf_counter() - t0
                report(f"AE {name}", f"r={r}", groups, {**cfg, "seconds": round(dt, 2)})

    if args.baselines:
        for align in (False, True):
            seen = center_by_mass(images) if align else images
            tag = "+align" if align else ""
            ph = phash_codes(seen)
            for t in range(0, 9, 2):
                groups = [g.members for g in duplicate_groups(ph, t, images)]
                report("pHash" + tag, f"t={t}", groups, {})
            if args.no_pixel:
                continue
            near = np.array(planted["near"])
            x = seen.reshape(n, -1).float() / 255
            d_near = (x[near[:, 0]] - x[near[:, 1]]).norm(dim=1)
            qs = [0.7, 0.8, 0.85, 0.9, 0.925, 0.95]
            ts = [float(torch.quantile(d_near, q)) for q in qs]
            pairs = pixel_l2_pairs(seen, max(ts)).numpy()
            for q, t in zip(qs, ts):
                ij = pairs[pairs[:, 2] <= t, :2]
                ex_links = np.array([[g[0], k] for g in exact for k in g[1:]]).reshape(-1, 2)
                groups = components(n, np.concatenate([ij, ex_links]))
                report("pixel L2" + tag, f"t={t:.2f}(q{q})", groups, {})

    if args.json:
        with open(args.json, "a") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
