"""Mode coverage on stacked Fashion-MNIST (1,000 modes): DCGAN against R3GAN at equal CPU time.

The StackedMNIST protocol (Metz et al. 2017; Srivastava et al. 2017, VEEGAN; Lin et al. 2018,
PacGAN) with Fashion-MNIST items as the three planes (``data.source=stacked-fashion-mnist``):
after the same budget of training time each EMA generator draws ``--n`` samples (26,000 as in
VEEGAN and PacGAN); the shipped Fashion-MNIST classifier labels each plane, and the triplet is the
sample's mode. Reported: modes covered (at least one sample) of 1,000, and KL(generated modes ||
real modes) (``metrics.mode_coverage.stacked_mode_coverage``). R3GAN's paper covers all 1,000
StackedMNIST modes; this asks whether that holds here, on a CPU budget.

Rows go to ``benchmarks/results/mode-coverage-cpu.json`` with the CPU model and precision.

    python benchmarks/mode_coverage.py --minutes 10
    python benchmarks/mode_coverage.py --presets r3gan-fashion-mnist --minutes 0.5 --n 2000
    python benchmarks/mode_coverage.py --table
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import torch

from _machine import cpu_info  # benchmarks/ is on sys.path
from ganforge.config import DataConfig
from ganforge.data import load_data
from ganforge.evaluation import generate
from ganforge.images import atomic_write_bytes
from ganforge.metrics.features import load_extractor
from ganforge.metrics.mode_coverage import stacked_mode_coverage
from ganforge.version import __version__
from quality import ganforge_snapshots

RESULTS = Path(__file__).parent / "results" / "mode-coverage-cpu.json"
STACKED = {
    "data.source": "stacked-fashion-mnist",
    "data.channels": 3,
    "data.resolution": 28,
}


def count_modes(G: torch.nn.Module, n: int, real_modes: torch.Tensor, ext: Any) -> dict[str, Any]:
    """Modes covered and KL of ``n`` samples of ``G`` (seed 0, the evaluation's sampling)."""
    fake = generate(G, n, seed=0)  # uint8 (n, 3, 28, 28)
    planes = [ext.extract(fake[:, c : c + 1])["logits"] for c in range(3)]
    cov = stacked_mode_coverage(planes, real_modes)
    return {"modes_covered": cov.modes_covered, "kl_fake_real": round(cov.kl_fake_real, 4)}


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| setup | minutes | images seen | modes covered (of 1,000) | KL(fake \\|\\| real) | n |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['setup']} | {r['minutes']:g} | {r['images']:,} | {r['modes_covered']} "
            f"| {r['kl_fake_real']:.3f} | {r['n']:,} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presets", default="dcgan-fashion-mnist,r3gan-fashion-mnist")
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--n", type=int, default=26_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--table", action="store_true")
    args = ap.parse_args()
    data = json.loads(args.out.read_text()) if args.out.is_file() else {"rows": []}
    if args.table:
        print(markdown(data["rows"]))
        return
    torch.set_num_threads(args.threads)
    ext = load_extractor("fmnist")
    real = load_data(DataConfig(source="stacked-fashion-mnist", channels=3, resolution=28))
    info = {
        **cpu_info(),
        "threads": args.threads,
        "torch": torch.__version__,
        "ganforge": __version__,
        "date": datetime.date.today().isoformat(),
        "command": " ".join(["python", "benchmarks/mode_coverage.py", *sys.argv[1:]]),
    }
    rows = []
    for preset in args.presets.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            snaps = ganforge_snapshots(preset, [args.minutes], tmp, STACKED, data=real)
            seconds, images, G, _, dtype, _ = next(snaps)
            modes = count_modes(G, args.n, real.labels, ext)
        row = {
            "setup": preset,
            "minutes": args.minutes,
            "train_s": round(seconds, 1),
            "images": images,
            "dtype": dtype,
            "n": args.n,
            **modes,
            "classifier": ext.name,
            "classifier_sha256": ext.weights_sha256,
            **info,
        }
        print(json.dumps(row), flush=True)
        rows.append(row)
        data["rows"].append(row)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(args.out, (json.dumps(data, indent=2) + "\n").encode())
    print(markdown(rows))


if __name__ == "__main__":
    main()
