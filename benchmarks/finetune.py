"""Fine-tuning a shipped model on a small folder against training from scratch, at equal time.

The transfer-learning claim of StyleGAN2-ADA ("resume from FFHQ", Karras et al. 2020, arXiv
2006.06676, section 4) on data this machine has offline: the Noto emoji set (Google, Apache-2.0,
the ``emoji-datasource-google`` npm package), 64 px RGBA, turned into 32 px grey images (alpha
composited on black, so objects are light on dark as in Fashion-MNIST; the colours become grey
levels, ITU-R 601 luma). It is a different domain from the clothes the shipped model learnt
(faces, symbols, flags, animals), so what transfers is the generic part: strokes, blobs, contrast.
``--train`` images (default 300, a fixed random choice) form the training folder; every other
emoji is held out and is the reference the samples are scored against.

Both runs train the same preset (``dcgan-fashion-mnist``: same architecture, same batch size,
same settings) on that folder for the same number of images; one starts from random weights, the
other with ``--init pretrained:dcgan-fashion-mnist`` (its generator; D from scratch, fresh
optimizers). Same architecture and batch size make the cost of an image the same, so an equal
image budget is equal training time, whatever else the shared CPU was doing. Each EMA generator
is scored with ``ganforge eval --fake folder:SAMPLES --real folder:HELDOUT``: Frechet distance
on the shipped Fashion-MNIST classifier's features (FD-FMNIST; on emoji a generic feature
distance, comparable between the two runs only), KID, precision and recall on ``--n`` samples.

    python benchmarks/finetune.py --images 10000 --n 2000
    python benchmarks/finetune.py --images 2000 --n 500 --out /tmp/ft.json     # smoke test
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from _machine import cpu_info  # benchmarks/ is on sys.path when this runs as a script
from ganforge.images import atomic_write_bytes
from ganforge.version import __version__

RESULTS = Path(__file__).parent / "results" / "finetune-cpu.json"
EMOJI = Path("/tmp/emoji/package/img/google/64")
SOURCE = "pretrained:dcgan-fashion-mnist"


def grey32(path: Path) -> np.ndarray:
    """A 64 px RGBA emoji -> 32 x 32 uint8 grey, composited on black."""
    rgba = Image.open(path).convert("RGBA")
    black = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
    grey = Image.alpha_composite(black, rgba).convert("L")
    return np.asarray(grey.resize((32, 32), Image.Resampling.LANCZOS))


def write_folders(root: Path, n_train: int, seed: int) -> tuple[Path, Path]:
    """``root/train`` (``n_train`` emoji) and ``root/heldout`` (the rest), as grey PNGs."""
    files = sorted(EMOJI.glob("*.png"))
    if not files:
        raise SystemExit(f"no emoji under {EMOJI}: unpack the emoji-datasource-google npm package")
    order = np.random.default_rng(seed).permutation(len(files))
    for part, chosen in (("train", order[:n_train]), ("heldout", order[n_train:])):
        (root / part).mkdir(parents=True, exist_ok=True)
        for i in chosen:
            Image.fromarray(grey32(files[i])).save(root / part / f"{files[i].stem}.png")
    return root / "train", root / "heldout"


def ganforge(*args: str) -> list[str]:
    return [sys.executable, "-m", "ganforge", *args]


def train(train_dir: Path, out: Path, images: int, init: str | None) -> tuple[Path, float]:
    """One run of the preset on ``train_dir`` -> (its run folder, training seconds)."""
    command = ganforge(
        "train",
        "--preset",
        "dcgan-fashion-mnist",
        "--data",
        f"folder:{train_dir}",
        "--set",
        "data.resolution=32",
        "--set",
        "data.channels=1",
        "--set",
        f"train.images={images}",
        "--set",
        "train.eval_every=0",
        "--set",
        "runtime.threads=1",
        "--set",
        "train.report=false",
        "--out",
        str(out),
        "--no-progress",
        *(["--init", init] if init else []),
    )
    print(" ".join(command), flush=True)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    subprocess.run(command, env=env, check=True)
    (run,) = sorted(out.iterdir())
    wall = json.loads((run / "run.json").read_text())["wall_time_s"]
    return run, wall


def score(run: Path, heldout: Path, n: int, tmp: Path) -> dict[str, Any]:
    """``ganforge sample`` n images, then ``ganforge eval`` them against the held-out folder."""
    samples = tmp / f"samples-{run.name}"
    subprocess.run(ganforge("sample", str(run), "--n", str(n), "--out", str(samples)), check=True)
    out = tmp / f"eval-{run.name}.json"
    subprocess.run(
        ganforge(
            "eval",
            "--fake",
            f"folder:{samples}",
            "--real",
            f"folder:{heldout}",
            "--features",
            "fmnist",
            "--metrics",
            "fd,kid,pr",
            "--json",
            str(out),
        ),
        check=True,
    )
    return json.loads(out.read_text())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--images", type=int, default=10_000, help="image budget of each run")
    p.add_argument("--train", type=int, default=300, help="emoji in the training folder")
    p.add_argument("--n", type=int, default=2000, help="samples scored per run")
    p.add_argument("--seed", type=int, default=0, help="which emoji are the training folder")
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        train_dir, heldout = write_folders(tmp / "data", args.train, args.seed)
        n_held = len(list(heldout.iterdir()))
        for setup, init in (("scratch", None), ("fine-tune", SOURCE)):
            run, wall = train(train_dir, tmp / setup, args.images, init)
            result = score(run, heldout, args.n, tmp)
            rows.append(
                {
                    "setup": setup,
                    "init": init,
                    "images": args.images,
                    "train_s": wall,
                    "metrics": result["metrics"],
                    "protocol": result["protocol"].get("hash"),
                    "n_fake": args.n,
                    "n_heldout": n_held,
                    "n_train": args.train,
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    record = {
        "benchmark": "finetune",
        "date": datetime.date.today().isoformat(),
        "time": time.strftime("%H:%M UTC", time.gmtime()),
        "command": "python benchmarks/finetune.py " + " ".join(argv or sys.argv[1:]),
        "data": f"emoji-datasource-google 64 px -> 32 px grey; {args.train} train, rest held out "
        f"(seed {args.seed})",
        "ganforge": __version__,
        "machine": {**cpu_info(), "note": "shared CPU, 1 thread per run, fp32"},
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(args.out, (json.dumps(record, indent=2) + "\n").encode())
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
