"""Issue #22: which setup wins on a small folder on a CPU, given the same training time.

Three parts, each a set of runs; every run trains alone (``--only`` picks some) and every snapshot
lands in ``benchmarks/results/folder-race-cpu.json`` as soon as it is scored.

1. **Emoji** (Google's 64 px RGBA emoji, ``emoji-datasource-google`` on npm, MIT): a held-out 10%
   chosen by the SHA-256 of each file name (deterministic, written to ``WORK/emoji/heldout``);
   each setup trains on the rest (``full``) and on 300 of them (``300``, the first in the same
   hashed order). Setups: ``dcgan`` (dcgan-folder-64, RGB on white, to 60 min), ``r3gan``
   (r3gan-folder-64), ``fastgan`` (fastgan-folder-64) and ``fastgan-projected``
   (fastgan-projected-folder-64), all RGBA but DCGAN; snapshots at 5, 15 and 30 min of training
   (``train.minutes``, then resume with a larger budget: the run's own clock, kept across
   resumes). Each snapshot's EMA generator is scored against the held-out images with the folder
   metric (ImageNet EfficientNet-Lite1 features, composited on white as ``ganforge eval`` does):
   KID, precision and recall, on 2,000 samples. FD-Lite1 needs 2,000 images a side
   (metrics/imagenet.py, fd-bias-lite1.json) and the held-out set has ~380, so FD is left out
   and KID ranks. Each snapshot also gets ``ganforge memorization``'s nearest-neighbour copy
   check (pixel space) against its training images, calibrated on the held-out ones, and the
   15-min snapshot a grid of 64 samples composited on a checkerboard
   (``benchmarks/results/folder-race/``).
2. **Fashion-MNIST race**: ``--fmnist-preset`` (the emoji winner's Fashion-MNIST twin; default
   fastgan-fashion-mnist) at 5, 10 and 20 min against the PyTorch DCGAN tutorial loop
   (``quality.py --textbook``) at 20 min (``--fmnist-set KEY=VALUE`` changes the preset, e.g.
   ``model.discriminator=projected``), FD-FMNIST on 10,000 samples against the test split.
3. **Small data**: ``--fmnist-preset`` on the first 200 Fashion-MNIST training images, 30 min with
   no augmentation and with DiffAugment, FD-FMNIST against the 10,000-image test split.

``--summarise`` turns the emoji rows at 30 min (colour) and the Fashion-MNIST race's two FastGAN
setups at 20 min (grey) into the CPU entry of ``src/ganforge/data/recipe_evidence.json``, the
ranking ``ganforge train --data folder:PATH`` reads (data/recipe.py). Times are training
wall-clock: run each part alone on an idle machine.

    python benchmarks/folder_race.py --list
    python benchmarks/folder_race.py --only emoji/full/fastgan          # ~30 min + scoring
    python benchmarks/folder_race.py --only emoji                       # all 8 emoji runs
    python benchmarks/folder_race.py --only fmnist,small
    python benchmarks/folder_race.py --table
    python benchmarks/folder_race.py --summarise                        # -> recipe_evidence.json
    python benchmarks/folder_race.py --smoke --only emoji/300/fastgan   # seconds, not minutes
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from _machine import cpu_info  # benchmarks/ is on sys.path
from ganforge.cli import main as ganforge_main
from ganforge.config import load_config, parse_override
from ganforge.evaluation import generate, load_real, protocol_hash, reference_for, score_generator
from ganforge.images import atomic_write_bytes, save_grid, to_uint8
from ganforge.metrics.features import load_extractor
from ganforge.train.trainer import Trainer
from ganforge.version import __version__
from quality import load_results, score, textbook_snapshots
from quality import save_row as quality_save_row

HERE = Path(__file__).parent
RESULTS = HERE / "results" / "folder-race-cpu.json"
GRIDS = HERE / "results" / "folder-race"
EVIDENCE = HERE.parent / "src" / "ganforge" / "data" / "recipe_evidence.json"
EMOJI = Path("/tmp/emoji/package/img/google/64")
HELDOUT_FRACTION, SUBSET = 0.10, 300
EMOJI_METRICS = ["kid", "pr"]  # FD-Lite1 needs 2,000 images a side; ~380 are held out
SETUPS = {  # name -> (preset, channels, snapshots in minutes)
    "dcgan": ("dcgan-folder-64", 3, [5, 15, 30, 60]),
    "r3gan": ("r3gan-folder-64", 4, [5, 15, 30]),
    "fastgan": ("fastgan-folder-64", 4, [5, 15, 30]),
    "fastgan-projected": ("fastgan-projected-folder-64", 4, [5, 15, 30]),
}
GRID_AT, RANK_AT = 15, 30
FMNIST_TRAIN = 60_000  # the Debian train split the Fashion-MNIST race trains on
FMNIST_TWINS = {  # a Fashion-MNIST race setup -> the folder preset that trains the same way
    "fastgan-fashion-mnist": "fastgan-folder-64",
    "fastgan-fashion-mnist model.discriminator=projected augment.policy=diffaugment "
    "g_optim.betas=[0.0,0.99] d_optim.betas=[0.0,0.99]": "fastgan-projected-folder-64",
}
FMNIST_MINUTES, TEXTBOOK_MINUTES, SMALL_MINUTES, SMALL_IMAGES = [5, 10, 20], [20], [30], 200


def runs() -> list[str]:
    """Every run's name, part/...: what ``--only`` selects (a prefix selects a part)."""
    emoji = [f"emoji/{s}/{k}" for s in ("full", str(SUBSET)) for k in SETUPS]
    return [*emoji, "fmnist/best", "fmnist/textbook", "small/none", "small/diffaugment"]


# --------------------------------------------------------------------------- the emoji split


def split_emoji(source: Path, work: Path) -> dict[str, Any]:
    """Held-out 10% by SHA-256 of the file name; ``full`` the rest, ``300`` its first 300, in the
    same hashed order. Copied under ``work/emoji``; returns the split's record."""
    files = sorted(source.glob("*.png"), key=lambda p: hashlib.sha256(p.name.encode()).hexdigest())
    if len(files) < 1000:
        sys.exit(f"{source} holds {len(files)} PNGs; expected the ~3,786 Google 64 px emoji")
    k = round(HELDOUT_FRACTION * len(files))
    parts = {"heldout": files[:k], "full": files[k:], str(SUBSET): files[k : k + SUBSET]}
    for name, chosen in parts.items():
        folder = work / "emoji" / name
        if folder.is_dir() and len(list(folder.glob("*.png"))) == len(chosen):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for f in chosen:
            shutil.copyfile(f, folder / f.name)
    names = "\n".join(f.name for f in parts["heldout"]).encode()
    return {
        "source": str(source),
        "files": len(files),
        "rule": "files sorted by sha256(name); the first 10% held out, the next 300 the subset",
        "sizes": {name: len(chosen) for name, chosen in parts.items()},
        "heldout_names_sha256": hashlib.sha256(names).hexdigest(),
    }


def checker_grid(G: torch.nn.Module, path: Path, n: int = 64) -> None:
    """``n`` EMA samples on fixed noise; RGBA composited on a grey checkerboard (8 px squares),
    so transparency shows as itself."""
    x = generate(G, n, 0, None).float() / 255  # (n, C, H, W) in [0, 1]
    if x.shape[1] == 4:
        h, w = x.shape[-2:]
        yy, xx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
        board = torch.where((yy // 8 + xx // 8) % 2 == 0, 0.8, 1.0)  # (H, W)
        a = x[:, 3:]
        x = a * x[:, :3] + (1 - a) * board
    path.parent.mkdir(parents=True, exist_ok=True)
    save_grid(path, to_uint8(x * 2 - 1), 8)


def copy_check(run_dir: Path, heldout: Path, n: int, n_test: int, out: Path) -> dict[str, Any]:
    """``ganforge memorization`` in pixel space: near copies of training images, calibrated on
    the held-out images."""
    args = ["memorization", str(run_dir), "--heldout", f"folder:{heldout}", "--features", "none"]
    args += ["--n", str(n), "--n-test", str(n_test), "--out", str(out)]
    if ganforge_main(args) != 0:
        sys.exit(f"ganforge {' '.join(args)} failed")
    (found,) = sorted(out.glob("memorization-*.json"))[-1:]
    report = json.loads(found.read_text())["report"]
    found.unlink()
    keep = ("exact_copies", "near_copies", "memorization")
    return {k: report.get(k) for k in keep}


def emoji_run(name: str, args: argparse.Namespace, work: Path, info: dict[str, Any]) -> None:
    _, subset, setup = name.split("/")
    preset, channels, minutes = SETUPS[setup]
    split = split_emoji(EMOJI, work)
    heldout = work / "emoji" / "heldout"
    over = {
        "data.source": f"folder:{work / 'emoji' / subset}",
        "data.channels": channels,
        "data.background": "white",
        "out_dir": str(work / "runs"),
        "name": f"race-{subset}-{setup}",
        "train.images": 10**12,  # the budget, not the preset's length, ends each stage
        "train.eval_every": 0,
        "train.report": False,
        "train.loggers": [],
        "runtime.progress": False,
        "runtime.threads": args.threads,
    }
    ext = load_extractor("lite1")
    trainer, ref, real = None, None, None
    for m in minutes:
        budget = m * args.unit / 60  # in train.minutes
        if trainer is None:
            trainer = Trainer(load_config(preset, {**over, "train.minutes": budget})).fit()
        else:
            trainer = Trainer.resume(trainer.run_dir, [f"train.minutes={budget}"]).fit()
        if real is None:  # the held-out images as this run sees its data (RGB or RGBA)
            cfg = load_config(preset, {**over, "data.source": f"folder:{heldout}"})
            real = load_real(cfg.data)
            ref = reference_for(real, ext, len(real.images), 0)
        t0 = time.perf_counter()
        G = trainer.inference().require("sample").G
        result = score_generator(
            G, real, ext, EMOJI_METRICS, args.n_emoji, 0, reference=ref, num_classes=0
        )
        result["protocol"].update(trainer.task.discriminator_record(trainer.cfg))
        scores = {k: round(float(v), 6) for k, v in result["metrics"].items() if _number(v)}
        copies = copy_check(
            trainer.run_dir, heldout, min(args.n_emoji, 1000), len(real.images), work / "memo"
        )
        if m == GRID_AT:
            grids = GRIDS if not args.smoke else work / "grids"
            checker_grid(G, grids / f"{subset}-{setup}-{m}min.png")
        row = {
            "part": "emoji",
            "run": name,
            "setup": setup,
            "preset": preset,
            "subset": subset,
            "train_images": split["sizes"][subset],
            "minutes": m,
            "train_s": round(trainer.wall_time, 1),
            "images": trainer.images_seen,
            "img_per_s": round(trainer.images_seen / max(trainer.wall_time, 1e-9), 1),
            "precision_dtype": trainer.task.precision,
            "n": args.n_emoji,
            **scores,
            "nn_copy": copies,
            "protocol": protocol_hash(result["protocol"]),
            "eval_s": round(time.perf_counter() - t0, 1),
            "split": split,
            **info,
        }
        save_row(args.out, row, result["protocol"])


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


# --------------------------------------------------------------------------- Fashion-MNIST


def fmnist_run(name: str, args: argparse.Namespace, work: Path, info: dict[str, Any]) -> None:
    part, which = name.split("/")
    preset = args.fmnist_preset
    cfg = load_config(preset, args.fmnist_set)
    ext = load_extractor("fmnist")
    real = load_real(cfg.data)  # the 10,000-image test split
    ref = reference_for(real, ext, args.n, 0)
    over: dict[str, Any] = {
        **dict(parse_override(text) for text in args.fmnist_set),
        "out_dir": str(work / "runs"),
        "train.images": 10**12,
        "train.eval_every": 0,
        "train.report": False,
        "train.loggers": [],
        "runtime.progress": False,
        "runtime.threads": args.threads,
    }
    if part == "small":
        policy = which
        over |= {
            "data.max_images": SMALL_IMAGES,
            "train.batch_size": min(cfg.train.batch_size, SMALL_IMAGES),
            "augment.policy": policy,
            "name": f"race-small-{policy}",
        }
    stages = (
        TEXTBOOK_MINUTES if which == "textbook" else SMALL_MINUTES if part == "small" else None
    ) or FMNIST_MINUTES
    if which == "textbook":
        torch.set_num_threads(args.threads)
        snaps = textbook_snapshots([m * args.unit / 60 for m in stages])
        for m, (seconds, images, G, num_classes, dtype, _) in zip(stages, snaps):
            scores, protocol = score(G, num_classes, real, ext, args.n, ref)
            _fmnist_row(args, name, "textbook", m, seconds, images, dtype, scores, protocol, info)
        return
    trainer = None
    for m in stages:
        budget = m * args.unit / 60
        if trainer is None:
            trainer = Trainer(load_config(preset, {**over, "train.minutes": budget})).fit()
        else:
            trainer = Trainer.resume(trainer.run_dir, [f"train.minutes={budget}"]).fit()
        model = trainer.inference().require("sample")
        scores, protocol = score(model.G, model.num_classes, real, ext, args.n, ref)
        protocol.update(trainer.task.discriminator_record(trainer.cfg))
        label = " ".join([preset, *args.fmnist_set])
        label += "" if part == "fmnist" else f", {SMALL_IMAGES} images, {which}"
        _fmnist_row(
            args, name, label, m, trainer.wall_time, trainer.images_seen,
            trainer.task.precision, scores, protocol, info,
        )  # fmt: skip


def _fmnist_row(args, name, setup, m, seconds, images, dtype, scores, protocol, info) -> None:
    row = {
        "part": name.split("/")[0],
        "run": name,
        "setup": setup,
        "minutes": m,
        "train_s": round(seconds, 1),
        "images": images,
        "img_per_s": round(images / max(seconds, 1e-9), 1),
        "precision_dtype": dtype,
        "n": args.n,
        **scores,
        **info,
    }
    save_row(args.out, row, protocol)


# --------------------------------------------------------------------------- results


def save_row(path: Path, row: dict[str, Any], protocol: dict[str, Any]) -> None:
    """quality.py's atomic append of ``row`` and its protocol, then the row's scores printed."""
    quality_save_row(path, row, protocol)
    shown = {k: row[k] for k in ("run", "minutes", "images") if k in row}
    print(json.dumps({**shown, **{k: v for k, v in row.items() if k.startswith(("kid", "fd"))}}))


def table(rows: list[dict[str, Any]]) -> str:
    """Markdown: the emoji rows, then the Fashion-MNIST ones, each with the day it ran, and the
    machines they ran on (the parts may run in different sessions: compare rows of one machine)."""
    out = [
        "| train images | setup | minutes | images seen | KID-Lite1 x1e3 | precision | recall "
        "| near copies | date |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    order = {setup: i for i, setup in enumerate(SETUPS)}  # larger set first, then SETUPS' order
    emoji = [r for r in rows if r["part"] == "emoji"]
    emoji.sort(key=lambda r: (-r["train_images"], order.get(r["setup"], len(order)), r["minutes"]))
    for r in emoji:
        copies = r["nn_copy"]["near_copies"]
        out.append(
            f"| {r['train_images']:,} | {r['preset']} | {r['minutes']:g} | {r['images']:,} "
            f"| {1e3 * r['kid_lite1']:.2f} | {r['precision']:.3f} | {r['recall']:.3f} "
            f"| {copies} | {r['date']} |"
        )
    out += [
        "",
        "| part | setup | minutes | images seen | FD-FMNIST | precision | recall | date |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in (r for r in rows if r["part"] != "emoji"):
        out.append(
            f"| {r['part']} | {r['setup']} | {r['minutes']:g} | {r['images']:,} "
            f"| {r['fd_fmnist']:.2f} | {r['precision']:.3f} | {r['recall']:.3f} | {r['date']} |"
        )
    machines = sorted(
        {
            f"{r.get('cpu')}, {r.get('cpu_count')} cores, {r.get('threads')} threads, "
            f"{r.get('precision_dtype', 'fp32')}, bf16 native: {r.get('cpu_bf16_native')}"
            for r in rows
        }
    )
    return "\n".join(out + [""] + [f"Machine: {m}" for m in machines])


def summarise(path: Path, evidence: Path) -> dict[str, Any]:
    """The race's rankings -> the recipe's CPU entry: per emoji training-set size the colour
    ranking at ``RANK_AT`` minutes (KID-Lite1, ImageNet features), and the grey ranking of the
    Fashion-MNIST race at its last snapshot (FD-FMNIST, a referee that never saw ImageNet), each
    Fashion-MNIST setup named by its folder twin."""
    rows = load_results(path)["rows"]
    at = [r for r in rows if r["part"] == "emoji" and r["minutes"] == RANK_AT]
    if not at:
        sys.exit(f"{path} has no emoji rows at {RANK_AT} min yet: run the emoji part first")
    done = {(r["subset"], r["setup"]) for r in at}
    missing = [f"emoji/{sub}/{setup}" for sub in ("full", str(SUBSET)) for setup in SETUPS]
    missing = [m for m in missing if tuple(m.split("/")[1:]) not in done]
    if missing:  # a ranking without every setup would crown whichever ran first
        sys.exit(f"no {RANK_AT}-min rows yet for {', '.join(missing)}: run them (--only) first")
    by_size = []
    for size in sorted({r["train_images"] for r in at}):
        ranked = sorted((r for r in at if r["train_images"] == size), key=lambda r: r["kid_lite1"])
        by_size.append(
            {
                "images": size,
                "data": "colour",
                "metric": f"KID-Lite1 x1e3 on held-out emoji at {RANK_AT} min",
                "referee": "ImageNet features",
                "ranking": [[r["preset"], round(1e3 * r["kid_lite1"], 2)] for r in ranked],
            }
        )
    last = max(FMNIST_MINUTES)
    grey = {
        FMNIST_TWINS[r["setup"]]: r["fd_fmnist"]
        for r in rows
        if r["part"] == "fmnist" and r["minutes"] == last and r["setup"] in FMNIST_TWINS
    }
    if len(grey) == len(FMNIST_TWINS):  # both or neither: one setup alone ranks nothing
        by_size.append(
            {
                "images": FMNIST_TRAIN,
                "data": "grey",
                "metric": f"FD-FMNIST on Fashion-MNIST at {last} min",
                "referee": "features that never saw ImageNet",
                "ranking": [[p, round(v, 2)] for p, v in sorted(grey.items(), key=lambda x: x[1])],
            }
        )
    entry = {
        "source": "benchmarks/results/folder-race-cpu.json",
        "command": "python benchmarks/folder_race.py --only emoji,fmnist/best && --summarise",
        "cpu": at[0].get("cpu"),
        "date": max(r["date"] for r in at),
        "by_size": by_size,
    }
    table_ = json.loads(evidence.read_text()) if evidence.is_file() else {}
    table_["cpu"] = entry
    atomic_write_bytes(evidence, (json.dumps(table_, indent=2) + "\n").encode())
    return entry


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="comma-separated runs or parts (see --list)")
    ap.add_argument("--list", action="store_true", help="print the run names and exit")
    ap.add_argument("--table", action="store_true", help="print the recorded rows and exit")
    ap.add_argument("--summarise", action="store_true", help="write the recipe's CPU evidence")
    ap.add_argument("--smoke", action="store_true", help="seconds instead of minutes, small n")
    ap.add_argument("--fmnist-preset", default="fastgan-fashion-mnist")
    ap.add_argument(
        "--fmnist-set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override of the Fashion-MNIST preset, e.g. model.discriminator=projected",
    )
    ap.add_argument(
        "--n",
        type=int,
        default=None,
        help="samples per score (emoji 2000, FMNIST 10000; smoke 300)",
    )
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--work", type=Path, default=None, help="split, runs (default: a temp dir)")
    ap.add_argument("--out", type=Path, default=None, help="results JSON (rows are appended)")
    args = ap.parse_args()
    args.unit = 1.0 if args.smoke else 60.0  # seconds per listed "minute"
    # Lite1 scores ~16-24 images a second on 2 cores (lite1-speed-cpu.json): 2,000 emoji samples
    # per snapshot against ~380 held-out images; the Fashion-MNIST network takes 10,000 easily.
    args.n_emoji = args.n or (300 if args.smoke else 2_000)
    args.n = args.n or (300 if args.smoke else 10_000)
    if args.list:
        print("\n".join(runs()))
        return
    out_default = Path(tempfile.gettempdir()) / "folder-race-smoke.json" if args.smoke else RESULTS
    args.out = args.out or out_default
    if args.table:
        print(table(load_results(args.out)["rows"]))
        return
    if args.summarise:  # a smoke run's rows never reach the packaged evidence
        evidence = (
            Path(tempfile.gettempdir()) / "recipe-evidence-smoke.json" if args.smoke else EVIDENCE
        )
        print(json.dumps(summarise(args.out, evidence), indent=2))
        return
    wanted = [w for w in args.only.split(",") if w] or runs()
    chosen = [r for r in runs() if any(r == w or r.startswith(w + "/") for w in wanted)]
    if not chosen:
        sys.exit(f"--only {args.only}: no such run or part; --list names them")
    info = {
        **cpu_info(),
        "threads": args.threads,
        "smoke": args.smoke,
        "torch": torch.__version__,
        "ganforge": __version__,
        "date": datetime.date.today().isoformat(),
        "command": " ".join(["python", "benchmarks/folder_race.py", *sys.argv[1:]]),
    }
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        for name in chosen:
            print(f"== {name}", flush=True)
            run = emoji_run if name.startswith("emoji/") else fmnist_run
            run(name, args, work, info)


if __name__ == "__main__":
    main()
