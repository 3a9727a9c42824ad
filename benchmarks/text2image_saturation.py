"""Does text2image-64's generator saturate on a set with exactly white backgrounds? (#24)

Trains a short ``text2image-64`` run on the README's emoji (``text2image_quality.emoji_folder``)
with the generator's output switched by ``text2image.g_output`` (tanh, DF-GAN's, or linear, the
preset's), then prints G's gradient norm at each log row and, on 32 samples of four captions,
the share of pixels beyond |0.99| and the spread over the batch. The README's figures (tanh: the
gradient norm falls to ~1e-9 within ~6,000 GAN images, every pixel saturated, spread ~1e-8;
linear: norm 2-12, 15 % of pixels, spread 0.44) came from the defaults, one run per output:

    python benchmarks/text2image_saturation.py --emoji /tmp/emoji/package --output tanh
    python benchmarks/text2image_saturation.py --emoji /tmp/emoji/package --output linear

About 6 minutes per run on our 2-core CPU (26 img/s once the GAN trains).
"""

from __future__ import annotations

import argparse
import csv
import tempfile
from pathlib import Path

import torch

from ganforge.config import load_config
from ganforge.runs import load_run
from ganforge.train.trainer import Trainer
from text2image_quality import EMOJI_PRESET, emoji_folder  # benchmarks/ is on sys.path

CAPTIONS = ["grinning face", "red heart", "thumbs up sign", "flag"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--emoji", type=Path, required=True, help="the unpacked npm package folder")
    p.add_argument("--output", choices=("tanh", "linear"), default="linear")
    p.add_argument("--pretrain", type=int, default=3200, help="encoder pre-training images")
    p.add_argument("--gan-images", type=int, default=8000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--work", type=Path, default=None, help="emoji copy and run (default: temp)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        over = {
            "data.source": f"captioned:{emoji_folder(args.emoji, work)}",
            "text2image.g_output": args.output,
            "text2image.pretrain_images": args.pretrain,
            "train.images": args.pretrain + args.gan_images,
            "train.log_every": 800,
            "train.sample_every": 10**9,
            "train.checkpoint_every": 10**9,
            "train.loggers": [],
            "train.report": False,
            "runtime.progress": False,
            "runtime.threads": args.threads,
            "out_dir": str(work / "runs"),
        }
        run_dir = Trainer(load_config(EMOJI_PRESET, over)).fit().run_dir
        with open(run_dir / "metrics.csv", newline="") as f:
            for row in csv.DictReader(f):
                if row["g_grad_norm"]:
                    print(f"images {row['images']}: G grad norm {float(row['g_grad_norm']):.3g}")
        model = load_run(run_dir).require("text")
        ids, _ = model.encode_text(CAPTIONS * 8)
        z = torch.randn(len(ids), model.z_dim, generator=torch.Generator().manual_seed(0))
        x = model.generate(z, ids)
        print(
            f"g_output={args.output}: pixels beyond |0.99| {(x.abs() > 0.99).float().mean():.4f}, "
            f"spread over the batch {x.std(0).mean():.3g}"
        )


if __name__ == "__main__":
    main()
