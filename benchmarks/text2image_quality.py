r"""Text-to-image quality of the offline demo after a fixed budget of images, on a CPU.

The demo preset (text2image-fashion: the shipped Fashion-MNIST test split with captions from
class and measured properties, a sentence encoder pre-trained contrastively on the first 25,600
images, then DF-GAN with a matching-aware D and MA-GP) trains to ``--images`` images seen (the
pre-training's included), checkpointing every 20,000; ``ganforge eval``'s evaluator then scores
the newest checkpoint (or each of ``--every`` checkpoints): FD-FMNIST, R-precision among 100
with an evaluation encoder pair trained apart from the generator's, and agreement with captions
in the HELD-OUT wording (class by the shipped classifier, dark/light, wide/narrow,
plain/patterned), each beside its caption-blind baseline (the same samples against permuted
captions: what an unconditional model of the same quality scores). fp32 throughout.

    OPENBLAS_NUM_THREADS=1 nice -n 5 python benchmarks/text2image_quality.py \
        --images 200000 --threads 1 --shared --work /tmp/t2i-bench
    python benchmarks/text2image_quality.py --run /tmp/t2i-bench/<run> --shared   # score a run
    python benchmarks/text2image_quality.py --run <run> --collect --shared   # gather its evals
    python benchmarks/text2image_quality.py --table
    python benchmarks/text2image_quality.py --images 1600 --n 200 --out /tmp/t.json   # smoke

``--emoji PACKAGE`` measures instead the colour set of the README: the 64 px Google emoji of npm
``emoji-datasource-google`` (``PACKAGE`` is the unpacked ``package/`` folder), copied into
``--work`` with a ``metadata.jsonl`` of their names, short names and categories
(``text/emoji_captions.py``), trained with the text2image-64 preset (``--resolution`` changes
its size) and scored by the same evaluator: the folder metric's FD (ImageNet EfficientNet-Lite1
features, samples composited on white, 2,000 a side at least) and R-precision; it has no
agreement scores (those are the Fashion-MNIST demo's). Results go to
``text2image-emoji-cpu.json``.

    python benchmarks/text2image_quality.py --emoji /tmp/emoji/package --images 80000 \
        --threads 2 --every --work /tmp/t2i-emoji

Progress is counted in images, not minutes: on a CPU shared with other work the images per
minute fall several-fold (the result says whether the CPU was shared, ``--shared``); the scores
after N images do not depend on it. ``--run`` scores an existing run's newest checkpoint, e.g.
one still training; with ``--collect`` it gathers instead the results ``ganforge eval RUN
--checkpoint C --n N`` wrote in the run's ``eval/`` folder (one per checkpoint), as they are.
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import time
from pathlib import Path
from typing import Any

import torch

from _machine import cpu_name  # benchmarks/ is on sys.path
from ganforge.atomic import atomic_write_bytes
from ganforge.config import load_config, load_run_config
from ganforge.evaluation import EvalOptions, jsonable, protocol_hash
from ganforge.runs import load_run
from ganforge.text.emoji_captions import emoji_captions, read_emoji_json, write_metadata
from ganforge.train import checkpoint as ckpt
from ganforge.train.trainer import Trainer
from ganforge.version import __version__

RESULTS = Path(__file__).parent / "results" / "text2image-quality-cpu.json"
EMOJI_RESULTS = RESULTS.with_name("text2image-emoji-cpu.json")
PRESET, EMOJI_PRESET = "text2image-fashion", "text2image-64"
SHOWN = ("label", "brightness", "width", "texture")


def score(run_dir: Path, n: int, checkpoint: Path | None = None) -> dict[str, Any]:
    run = load_run(run_dir, checkpoint)
    t0 = time.time()
    res = run.task.evaluate(run, EvalOptions(n=n), say=lambda s: print(f"  {s}", flush=True))
    res["protocol"]["hash"] = protocol_hash(res["protocol"])
    return {
        "checkpoint": run.checkpoint.name,
        "images_seen": run.images_seen,
        "eval_seconds": round(time.time() - t0, 1),
        **res,
    }


def collect(run_dir: Path) -> list[dict[str, Any]]:
    """The text2image results ``ganforge eval`` wrote for the run's checkpoints, by images seen."""
    found = []
    for path in sorted((run_dir / "eval").glob("eval-ckpt-*-text2image-*.json")):
        doc = json.loads(path.read_text())
        found.append({k: doc[k] for k in ("checkpoint", "images_seen", "metrics", "protocol")})
    return sorted(found, key=lambda s: s["images_seen"])


def emoji_folder(package: Path, work: Path) -> Path:
    """The package's 64 px Google emoji copied under ``work`` with their ``metadata.jsonl``."""
    images = package / "img" / "google" / "64"
    if not (package / "emoji.json").is_file() or not images.is_dir():
        raise SystemExit(
            f"--emoji {package}: expected the unpacked npm package (emoji.json, img/google/64/): "
            "npm pack emoji-datasource-google && tar xzf emoji-datasource-google-*.tgz"
        )
    folder = work / "emoji-captioned"
    folder.mkdir(parents=True, exist_ok=True)
    for png in sorted(images.glob("*.png")):
        if not (folder / png.name).exists():
            shutil.copyfile(png, folder / png.name)
    lines, missing = write_metadata(folder, emoji_captions(read_emoji_json(package / "emoji.json")))
    print(f"emoji: {lines} captioned images ({len(missing)} records without an image)", flush=True)
    return folder


def table(result: dict[str, Any]) -> str:
    """The recorded scores as markdown rows: one per checkpoint scored."""
    if result.get("data", "").startswith("captioned:"):  # a colour set: no agreement scores
        rows = ["| images seen | FD-Lite1 | R-precision (blind, real) |", "| --- | --- | --- |"]
        for s in result["scores"]:
            m = s["metrics"]
            rp = f"{m['r_precision']:.3f} ({m['r_precision.blind']:.3f}, {m['r_precision.real']:.3f})"
            fd = m.get("fd_lite1", float("nan"))
            rows.append(f"| {s['images_seen']:,} | {fd:.1f} | {rp} |")
        return "\n".join(rows)
    head = (
        "| images seen | FD-FMNIST | R-precision (blind, real) | class | dark/light "
        "| wide/narrow | plain/patterned |"
    )
    rows = [head, "|" + " --- |" * 7]
    for s in result["scores"]:
        m = s["metrics"]
        cells = [f"{s['images_seen']:,}", f"{m.get('fd_fmnist', float('nan')):.1f}"]
        cells.append(
            f"{m['r_precision']:.3f} ({m['r_precision.blind']:.3f}, {m['r_precision.real']:.3f})"
        )
        cells += [f"{m[f'agree.{k}']:.3f} ({m[f'agree.{k}.blind']:.3f})" for k in SHOWN]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--images", type=int, default=200_000, help="training budget in images")
    p.add_argument("--n", type=int, default=2000, help="captions scored")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--shared", action="store_true", help="record that the CPU was shared")
    p.add_argument("--work", type=Path, default=Path("/tmp/t2i-bench"), help="run folders")
    p.add_argument("--run", type=Path, help="score this run instead of training one")
    p.add_argument("--every", action="store_true", help="score every checkpoint, not the last")
    p.add_argument(
        "--collect", action="store_true", help="gather the run's `ganforge eval` results"
    )
    p.add_argument("--emoji", type=Path, help="the unpacked emoji-datasource-google package")
    p.add_argument("--resolution", type=int, default=0, help="image size (default: the preset's)")
    p.add_argument("--out", type=Path, default=None, help="results JSON")
    p.add_argument("--table", action="store_true", help="print the recorded result as markdown")
    args = p.parse_args()
    args.out = args.out or (EMOJI_RESULTS if args.emoji else RESULTS)
    if args.table:
        print(table(json.loads(args.out.read_text())))
        return
    torch.set_num_threads(args.threads)
    preset = EMOJI_PRESET if args.emoji else PRESET
    t0 = time.time()
    run_dir = args.run
    if run_dir is None:
        over = {
            "train.images": args.images,
            "train.keep_checkpoints": 50,
            "train.loggers": [],
            "runtime.threads": args.threads,
            "runtime.progress": False,
            "out_dir": str(args.work),
        }
        if args.emoji:
            over["data.source"] = f"captioned:{emoji_folder(args.emoji, args.work)}"
        if args.resolution:
            over["data.resolution"] = args.resolution
        run_dir = Trainer(load_config(preset, over)).fit().run_dir
    found = ckpt.list_checkpoints(run_dir / "checkpoints")
    if args.collect:
        scores = collect(run_dir)
    else:
        scores = [score(run_dir, args.n, c) for c in (found if args.every else found[-1:])]
    data_cfg = load_run_config(run_dir).data  # the run's own, as trained
    result = {
        "benchmark": "text2image-quality",
        "preset": preset,
        "data": data_cfg.source,
        "resolution": data_cfg.resolution,
        "run": str(run_dir),
        "date": datetime.date.today().isoformat(),
        "machine": {
            "cpu": cpu_name(),
            "threads": args.threads,
            "shared": args.shared,
            "precision": "fp32",
        },
        "ganforge": __version__,
        "torch": torch.__version__,
        "seconds": round(time.time() - t0, 1),
        "scores": scores,
    }
    atomic_write_bytes(args.out, (json.dumps(jsonable(result), indent=1) + "\n").encode())
    print(table(result))


if __name__ == "__main__":
    main()
