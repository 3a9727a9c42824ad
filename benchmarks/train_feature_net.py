"""Train the Fashion-MNIST (or MNIST) feature network used by FD-FMNIST / FD-MNIST and the
classifier score.

    python benchmarks/train_feature_net.py --dataset fashion-mnist \
        --out src/ganforge/metrics/weights/fmnist.safetensors     # the shipped net, ~8 min on 2 cores
    python benchmarks/train_feature_net.py --dataset mnist        # -> <cache>/feature-nets/mnist...

The data comes through ganforge's readers (the cache folder, then /usr/share/datasets/<name>, then
a checksummed download; the published files only). ``--data-dir`` reads the four IDX files from a
folder instead, unchecked (other copies, tests). Deterministic for a given seed and thread count
(CPU, fixed shuffles, no data-loader workers). Trains on the 60k train split with mild augmentation
(+-1 px shifts; horizontal flips for clothing only, since a flipped digit is not the same digit),
then reports accuracy on the 10k test split and refuses to write weights below --min-accuracy.

Output: safetensors whose metadata is deterministic (dataset, test accuracy, seed, recipe), plus a
JSON sidecar that adds the training time and versions. The extractor's identity is a SHA-256 of the
tensors, so a retrain to the same weights keeps it; see ganforge/metrics/fmnist_net.py. Without
--out, MNIST goes where the "mnist" extractor looks (<cache>/feature-nets/mnist.safetensors);
Fashion-MNIST needs --out (the shipped file lives in the package).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ganforge.data.sources.idx import read_idx
from ganforge.errors import GanforgeError
from ganforge.metrics.fmnist_net import (
    ARCH,
    FmnistNet,
    mnist_weights_paths,
    preprocess,
    save_fmnist_net,
)

DATASETS = ("fashion-mnist", "mnist")
MIN_ACCURACY = {"fashion-mnist": 0.93, "mnist": 0.99}


def load_split(dataset: str, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The published split through ganforge's readers: cache, system copy, download (checked)."""
    from ganforge.config import DataConfig
    from ganforge.data.sources.sets import load_idx_source

    data = load_idx_source(dataset, DataConfig(source=dataset, split=split))
    if data.report.get("split") != split:
        # Fashion-MNIST falls back to its embedded test split: never train on that.
        raise GanforgeError(
            f"the {dataset} {split} split is not available ({'; '.join(data.report['warnings'])})"
        )
    return data.images, data.labels


def load_split_from(data_dir: Path, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The split's two IDX files (.gz or raw) from ``data_dir``, unchecked."""
    prefix = {"train": "train", "test": "t10k"}[split]
    found = {}
    for kind, tag in (("images", "idx3"), ("labels", "idx1")):
        stem = f"{prefix}-{kind}-{tag}-ubyte"
        cands = [data_dir / f"{stem}.gz", data_dir / stem]
        path = next((p for p in cands if p.is_file()), None)
        if path is None:
            raise GanforgeError(f"missing {stem}[.gz] in {data_dir}")
        found[kind] = read_idx(path)
    images = torch.from_numpy(found["images"]).unsqueeze(1)  # (N, 1, 28, 28) uint8
    return images, torch.from_numpy(found["labels"].astype(np.int64))


def augment(x: torch.Tensor, g: torch.Generator, shift: int, flip: bool) -> torch.Tensor:
    """uint8 (B, 1, 28, 28): random +-shift px translation (zero = background fill), h-flip."""
    b, s = x.shape[0], shift
    padded = F.pad(x, (s, s, s, s))  # (B, 1, 28 + 2s, 28 + 2s)
    oy = torch.randint(0, 2 * s + 1, (b,), generator=g)
    ox = torch.randint(0, 2 * s + 1, (b,), generator=g)
    ar = torch.arange(28)
    rows = (oy[:, None] + ar)[:, None, :, None].expand(b, 1, 28, 28 + 2 * s)
    x = padded.gather(2, rows)
    cols = (ox[:, None] + ar)[:, None, None, :].expand(b, 1, 28, 28)
    x = x.gather(3, cols)
    if flip:
        m = torch.rand(b, generator=g) < 0.5
        x[m] = x[m].flip(-1)
    return x


@torch.inference_mode()
def accuracy(net: FmnistNet, images: torch.Tensor, labels: torch.Tensor) -> float:
    net.eval()
    correct = 0
    for i in range(0, len(images), 1000):
        logits = net(preprocess(images[i : i + 1000]).contiguous(memory_format=torch.channels_last))
        correct += int((logits.argmax(1) == labels[i : i + 1000]).sum())
    return correct / len(images)


def main(argv: list[str] | None = None) -> int:
    try:
        return train(argv)
    except GanforgeError as e:  # bad input: one line, exit code 2, nothing written
        print(f"train_feature_net: error: {e}", file=sys.stderr)
        return 2


def train(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", choices=DATASETS, default="fashion-mnist")
    ap.add_argument(
        "--data-dir", type=Path, help="read the four IDX files (.gz or raw) from here, unchecked"
    )
    ap.add_argument(
        "--out",
        type=Path,
        help="output .safetensors (default for mnist: where the mnist extractor looks)",
    )
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--shift", type=int, default=1, help="max random translation in pixels")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=4e-3, help="peak LR of the one-cycle schedule")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--min-accuracy", type=float, help="refuse to save below this test accuracy")
    args = ap.parse_args(argv)

    if args.out is None:
        if args.dataset != "mnist":
            raise GanforgeError(
                "--out is required for fashion-mnist (the shipped net is "
                "src/ganforge/metrics/weights/fmnist.safetensors)"
            )
        args.out = mnist_weights_paths()[-1]
    if args.out.suffix != ".safetensors":
        raise GanforgeError(f"--out {args.out} must end in .safetensors")
    if args.epochs < 1 or args.batch_size < 1:
        raise GanforgeError("--epochs and --batch-size must be positive")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    if args.data_dir is not None:
        x_train, y_train = load_split_from(args.data_dir, "train")
        x_test, y_test = load_split_from(args.data_dir, "test")
    else:
        x_train, y_train = load_split(args.dataset, "train")
        x_test, y_test = load_split(args.dataset, "test")
    if len(x_train) < args.batch_size:
        raise GanforgeError(f"{len(x_train)} training images < --batch-size {args.batch_size}")
    print(f"{args.dataset}: train {tuple(x_train.shape)}, test {tuple(x_test.shape)}")

    net = FmnistNet(num_classes=10).to(memory_format=torch.channels_last)
    steps_per_epoch = len(x_train) // args.batch_size
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=5e-4)
    # One-cycle: warm up then anneal to ~0, which reaches a good optimum in few epochs.
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch, pct_start=0.2
    )
    g = torch.Generator().manual_seed(args.seed)
    flip = args.dataset == "fashion-mnist"
    t0 = time.perf_counter()
    for epoch in range(args.epochs):
        net.train()
        perm = torch.randperm(len(x_train), generator=g)
        total = 0.0
        for s in range(steps_per_epoch):
            idx = perm[s * args.batch_size : (s + 1) * args.batch_size]
            x = preprocess(augment(x_train[idx], g, args.shift, flip)).contiguous(
                memory_format=torch.channels_last
            )
            loss = F.cross_entropy(net(x), y_train[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
        acc = accuracy(net, x_test, y_test)
        elapsed = time.perf_counter() - t0
        print(
            f"epoch {epoch + 1}/{args.epochs}  loss {total / steps_per_epoch:.4f}  "
            f"test acc {acc:.4f}  {elapsed:.0f}s"
        )
    train_seconds = time.perf_counter() - t0
    acc = accuracy(net, x_test, y_test)
    min_acc = args.min_accuracy if args.min_accuracy is not None else MIN_ACCURACY[args.dataset]
    print(f"final test accuracy {acc:.4f} (10k test split), {train_seconds:.0f}s on {args.threads}")
    if acc < min_acc:
        print(f"below --min-accuracy {min_acc}: not writing {args.out}", file=sys.stderr)
        return 1
    # In the file: only what the weights are a function of, so a retrain writes the same bytes.
    meta = {
        "dataset": args.dataset,
        "num_classes": 10,
        "test_accuracy": f"{acc:.4f}",
        "test_split": f"t10k ({len(x_test):,} images)",
        "seed": args.seed,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "augmentation": f"shift +-{args.shift}px" + (", h-flip" if flip else ""),
        "threads": args.threads,
        "script": "benchmarks/train_feature_net.py",
    }
    # In the JSON sidecar only: facts about this run that vary between identical retrains.
    extra = {"train_seconds": round(train_seconds), "torch": torch.__version__}
    net = net.to(memory_format=torch.contiguous_format)
    digest = save_fmnist_net(net, args.out, meta, extra)
    print(
        f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB, {ARCH}, "
        f"weights sha256 {digest[:16]})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
