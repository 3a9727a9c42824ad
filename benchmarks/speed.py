"""Training-step speed: ganforge's Trainer against a plain textbook DCGAN loop, in one process.

The textbook loop is the PyTorch DCGAN tutorial's: a DataLoader over a TensorDataset of float
images, D ending in a Sigmoid with BCELoss, a D step on real then on fake, then a G step through the
same fake batch, and ``.item()`` on the losses every step. It uses the very same generator and
discriminator classes as ganforge (plus the Sigmoid), so the architecture and batch are identical.

ganforge is timed through ``Trainer.fit`` end to end (logging, EMA, a sample grid and a checkpoint
included), once in fp32 and once with its default ``runtime.precision=auto``.

    python benchmarks/speed.py                       # DCGAN-32, batch 64 and 128, 2 threads
    python benchmarks/speed.py --batch 64 --images 2560 --repeats 3 --out benchmarks/results/speed-cpu.json
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

from ganforge.config import load_config
from ganforge.data.dataset import ImageData
from ganforge.models import build_discriminator, build_generator
from ganforge.train.runtime import resolve_precision
from ganforge.train.trainer import Trainer


def textbook_img_per_s(cfg, images: torch.Tensor, n_images: int) -> float:
    """The tutorial loop; returns images per second over ``n_images`` after two warm-up steps."""
    torch.manual_seed(0)
    G = build_generator(cfg)
    D = nn.Sequential(build_discriminator(cfg), nn.Sigmoid())
    B = cfg.train.batch_size
    data = images.float() / 127.5 - 1
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(data), batch_size=B, shuffle=True, drop_last=True
    )
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    criterion = nn.BCELoss()
    steps, done, t0 = n_images // B, 0, None
    while done < steps + 2:
        for (real,) in loader:
            if done == 2:
                t0 = time.perf_counter()
            # (1) update D: maximise log D(x) + log(1 - D(G(z)))
            D.zero_grad()
            out = D(real).view(-1)
            err_real = criterion(out, torch.ones_like(out))
            err_real.backward()
            fake = G(torch.randn(B, cfg.model.z_dim))
            out = D(fake.detach()).view(-1)
            err_fake = criterion(out, torch.zeros_like(out))
            err_fake.backward()
            opt_d.step()
            # (2) update G: maximise log D(G(z))
            G.zero_grad()
            out = D(fake).view(-1)
            err_g = criterion(out, torch.ones_like(out))
            err_g.backward()
            opt_g.step()
            _ = (err_real + err_fake).item(), err_g.item()  # the tutorial logs every step
            done += 1
            if done >= steps + 2:
                break
    return steps * B / (time.perf_counter() - t0)


def ganforge_img_per_s(
    preset: str, images: torch.Tensor, batch: int, n: int, precision: str
) -> float:
    data = ImageData(images, None, 0, "benchmark")
    with tempfile.TemporaryDirectory() as tmp:
        ov = {
            "train.batch_size": batch,
            "runtime.progress": False,
            "runtime.tensorboard": False,
            "out_dir": tmp,
            "runtime.precision": precision,
            "train.images": 2 * batch,
        }
        Trainer(load_config(preset, ov), data=data).fit()  # warm-up (allocator, oneDNN kernels)
        ov["train.images"] = n
        trainer = Trainer(load_config(preset, ov), data=data)
        t0 = time.perf_counter()
        trainer.fit()
        return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="dcgan-fashion-mnist")
    ap.add_argument("--batch", type=int, nargs="+", default=[64, 128])
    ap.add_argument("--images", type=int, default=3840, help="images timed per measurement")
    ap.add_argument(
        "--repeats", type=int, default=3, help="alternating repeats; the median is kept"
    )
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, help="write the results as JSON here")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    auto = resolve_precision("auto", torch.device("cpu"))
    rows = []
    for batch in args.batch:
        cfg = load_config(args.preset, {"train.batch_size": batch})
        g = torch.Generator().manual_seed(0)
        c, r = cfg.data.channels, cfg.data.resolution
        images = torch.randint(0, 256, (8192, c, r, r), generator=g, dtype=torch.uint8)
        res: dict[str, list[float]] = {"textbook": [], "fp32": [], "auto": []}
        for _ in range(args.repeats):  # alternate so drifting machine load hits all alike
            res["textbook"].append(textbook_img_per_s(cfg, images, args.images))
            res["fp32"].append(ganforge_img_per_s(args.preset, images, batch, args.images, "fp32"))
            res["auto"].append(ganforge_img_per_s(args.preset, images, batch, args.images, "auto"))
        med = {k: statistics.median(v) for k, v in res.items()}
        rows.append(
            {
                "batch": batch,
                **{f"{k}_img_s": round(v, 1) for k, v in med.items()},
                "ratio_fp32": round(med["fp32"] / med["textbook"], 2),
                "ratio_auto": round(med["auto"] / med["textbook"], 2),
            }
        )
    device = f"CPU {platform.processor() or platform.machine()}, {args.threads} threads"
    print(f"{args.preset} training step, {device}, torch {torch.__version__}; auto = {auto}")
    print("| batch | textbook img/s | ganforge fp32 img/s | ratio | ganforge auto img/s | ratio |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['batch']} | {r['textbook_img_s']} | {r['fp32_img_s']} | {r['ratio_fp32']}x "
            f"| {r['auto_img_s']} | {r['ratio_auto']}x |"
        )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        info = {
            "preset": args.preset,
            "device": device,
            "auto_precision": auto,
            "torch": torch.__version__,
            "images_per_measurement": args.images,
            "repeats": args.repeats,
            "rows": rows,
        }
        args.out.write_text(json.dumps(info, indent=2) + "\n")


if __name__ == "__main__":
    main()
