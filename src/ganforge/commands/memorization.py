"""``ganforge memorization``: does the generator copy its training images?

    ganforge memorization runs/<run>                  # 1,000 samples, PNG of the 8 closest pairs
    ganforge memorization runs/<run> --n 5000 --k 16 --out report/

For each generated sample, its nearest training image in pixel space and in feature space, with
the distances set against those of held-out real images (the other split of the data set) to the
same training set: a generator that does not copy has about as many samples closer than the
held-out images' 1st percentile as the 1% a fresh draw from the data would. The method, its papers
(Theis et al. 2016; Meehan et al. 2020) and the near-copy test are in
``metrics/memorization.py``. Writes ``memorization-<checkpoint>.json`` and
``closest-<checkpoint>.png`` to ``RUN/memorization`` (or ``--out``); prints a table.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from ganforge.commands.registry import register_command
from ganforge.errors import GanforgeError
from ganforge.version import __version__

OTHER_SPLIT = {"train": "test", "test": "train"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "memorization",
        help="nearest training images of generated ones: near-copy check, PNG and JSON",
        description="Find each generated sample's nearest training image (pixels and features), "
        "compare the distances with held-out real images', and flag near copies. Example: "
        "`ganforge memorization runs/<run> --n 1000 --k 8`.",
    )
    p.add_argument("run", metavar="RUN", help="run folder (or a checkpoint file)")
    p.add_argument("--checkpoint", help="checkpoint in RUN (file name, path, or 'best')")
    p.add_argument("--n", type=int, default=1000, help="generated samples (default 1000)")
    p.add_argument("--k", type=int, default=8, help="closest pairs shown in the PNG (default 8)")
    p.add_argument("--out", type=Path, help="output folder (default RUN/memorization)")
    p.add_argument(
        "--features",
        default="auto",
        help="auto (fmnist for Fashion-MNIST, mnist for MNIST, else inception) | fmnist | mnist "
        "| inception | none",
    )
    p.add_argument(
        "--n-test", type=int, default=2000, help="held-out images for calibration (default 2000)"
    )
    p.add_argument(
        "--heldout",
        metavar="SOURCE",
        help="held-out real images (default: the other split; folder runs need folder:PATH)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the samples")
    p.add_argument("--batch", type=int, default=None, help="batch size for sampling and features")
    p.add_argument("--no-ema", action="store_true", help="use the raw generator, not the EMA one")
    p.add_argument("--device", default="auto", help="device for the generator: auto | cpu | cuda")
    p.set_defaults(func=run)


def _note(lines: list[str]) -> None:
    for w in lines:
        print(f"note: {w}", file=sys.stderr)


def _heldout(cfg: Any, train_split: str, source: str | None) -> Any:
    """Real images the generator never saw: ``source``, or the other split of the run's set."""

    # Deferred: it loads torch, and `ganforge --help` / `ganforge presets` stay instant.
    from ganforge.data import load_data

    if source is None:
        if cfg.source.startswith("folder:"):
            raise GanforgeError(
                "a folder run has no held-out split: pass --heldout folder:PATH with images of "
                "the same kind that were not used for training"
            )
        want = OTHER_SPLIT[train_split]
        data = load_data(dataclasses.replace(cfg, split=want, max_images=0, exclude=""))
        if data.report.get("split") != want:
            raise GanforgeError(
                f"the {want} split of {cfg.source} is not available, so there are no held-out "
                f"images to calibrate with; make it available or pass --heldout SOURCE"
            )
        return data
    split = "test" if train_split == "train" else "train"
    return load_data(dataclasses.replace(cfg, source=source, split=split, max_images=0, exclude=""))


def run(args: argparse.Namespace) -> int:
    # Deferred: it loads torch, and `ganforge --help` / `ganforge presets` stay instant.
    from ganforge import evaluation as ev
    from ganforge.commands.generator_options import beside_run, stem_of
    from ganforge.data import load_data
    from ganforge.images import atomic_write_bytes
    from ganforge.metrics.memorization import memorization_report
    from ganforge.metrics.reference import sample_indices
    from ganforge.runs import load_run
    from ganforge.runtime.device import resolve_device

    if args.n < 1 or args.k < 1:
        raise GanforgeError(f"--n and --k must be positive, got --n {args.n} --k {args.k}")
    if args.n_test < 100:
        # The near-copy threshold is the held-out distances' 1st percentile: 100 values at least.
        raise GanforgeError(f"--n-test {args.n_test} is too few held-out images; use 100 or more")
    run = load_run(
        args.run, args.checkpoint, ema=not args.no_ema, device=resolve_device(args.device)
    )
    cfg = run.cfg.data
    if ev.is_toy(cfg.source):
        raise GanforgeError(
            "memorization compares images; a toy run makes 2-D points: use `ganforge eval` for "
            "its mode coverage"
        )
    features = None if args.features == "none" else ev.resolve_features(args.features, cfg.source)
    extractor = None
    if features is not None:
        # Deferred: it loads torch, and `ganforge --help` / `ganforge presets` stay instant.
        from ganforge.metrics.features import load_extractor

        try:
            extractor = load_extractor(features)
        except GanforgeError as e:
            raise GanforgeError(f"{e}; or pass --features none for pixel space only") from None

    if run.read_only:
        # A shipped or downloaded model carries no data: the training set it names must be here.
        print(
            f"note: {run.place} was trained on {cfg.source} ({cfg.split} split): memorization "
            "compares its samples with that training set, which must be available here",
            file=sys.stderr,
        )
    train = load_data(cfg, seed=run.cfg.train.seed)  # exactly what the run trained on
    _note(train.report.get("warnings", []))
    train_split = train.report.get("split", cfg.split)
    held = _heldout(cfg, train_split, args.heldout)
    _note(held.report.get("warnings", []))
    test = held.images[sample_indices(len(held), args.n_test, args.seed)]
    labels = ev.sample_labels(args.n, run.num_classes, train.labels, args.seed)
    fake = ev.generate(run.G, args.n, args.seed, args.batch, labels)
    ckpt = stem_of(run)
    generator = "EMA" if run.used_ema else "raw"
    print(f"{run.run_dir} | {ckpt} | {generator} generator, {run.images_seen:,} images seen")
    print(
        f"{len(fake):,} samples vs {len(train):,} training images ({train.name} {train_split}); "
        f"calibrated on {len(test):,} held-out images ({held.name} {held.report.get('split')})"
    )

    feats: dict[str, Any] = {}
    train_real = ev.as_real(train.images, None, train.name, train_split)
    if extractor is not None:
        # The training set's features are cached like reference statistics (keyed by its pixels).
        ref = ev.reference_for(train_real, extractor, len(train), 0, args.batch)
        feats = {
            "fake_features": extractor.extract(fake, args.batch)["pool"],
            "train_features": ref.features,
            "test_features": extractor.extract(test, args.batch)["pool"],
        }
    out = args.out or beside_run(run, "memorization")
    out.mkdir(parents=True, exist_ok=True)
    report = memorization_report(
        fake, train.images, test, **feats, k_pairs=args.k, png_path=out / f"closest-{ckpt}.png"
    )
    protocol = {
        "run": str(run.run_dir),
        "checkpoint": str(run.checkpoint),
        "images_seen": run.images_seen,
        "generator": generator.lower(),
        "n_fake": len(fake),
        "n_train": len(train),
        "n_heldout": len(test),
        "train": {"dataset": train_real.dataset_id, "split": train_split},
        "heldout": {
            "dataset": ev.as_real(held.images, None, held.name, "").dataset_id,
            "split": held.report.get("split"),
        },
        "pixel_space": "L2 distance on [0, 1] pixel values (C x H x W)",
        "features": extractor.protocol if extractor is not None else None,
        "near_copy": "distance below the k-th smallest held-out -> train NN distance, "
        "k = ceil(n_heldout / 100) (the 1st percentile); flagged when a one-sided beta-binomial "
        "test, BetaBinomial(n_fake, k, n_heldout - k + 1), which includes the threshold's "
        "estimation noise, gives p < 1e-3",
        "seed": args.seed,
        "ganforge_version": __version__,
    }
    result = {"report": report.to_dict(), "protocol": protocol}
    path = out / f"memorization-{ckpt}.json"
    atomic_write_bytes(path, (json.dumps(ev.jsonable(result), indent=2) + "\n").encode())
    print(format_report(report))
    print(f"closest pairs: {report.png}\nresult written to {path}")
    return 0


def format_report(report: Any) -> str:
    """The distance table and the verdict, as printed by the command."""
    lines = [
        f"{'space':8s} {'fake NN p1':>11s} {'p50':>9s} {'held-out p1':>12s} {'p50':>9s} "
        f"{'near copies':>12s} {'expected':>9s} {'p-value':>9s}  flag"
    ]
    for name, s in (("pixel", report.pixel), ("feature", report.feature)):
        if s is None:
            continue
        fp, tp = s.fake_percentiles, s.test_percentiles
        lines.append(
            f"{name:8s} {fp['p1']:11.4g} {fp['p50']:9.4g} {tp['p1']:12.4g} {tp['p50']:9.4g} "
            f"{s.near_copies:12,d} {s.expected_fraction * report.counts['fake']:9.1f} "
            f"{s.p_value:9.2g}  {'YES' if s.flagged else 'no'}"
        )
    lines.append(f"exact copies of training images: {report.exact_copies}")
    if report.memorization:
        lines.append(
            f"verdict: MEMORISATION: {report.near_copies} samples are closer to a training image "
            "than almost all held-out images are; look at the closest pairs"
        )
    else:
        lines.append("verdict: no sign of memorisation (near copies at the rate of fresh data)")
    return "\n".join(lines)


register_command("memorization", register, uses=("sample",))
