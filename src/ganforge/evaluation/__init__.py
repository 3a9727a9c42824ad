"""Evaluation: every score ganforge reports, after training, during training and between folders,
on the metric registry (``ganforge.metrics``) beneath it.

    protocol.py     metric names and aliases, feature defaults (lite1 wherever no data-set
                    classifier fits), FD's minimum count, directions, protocol hashes, the table
    generator.py    a noise-to-sample model against its real data (FD/FID, KID, IS, P/R, D/C,
                    class and toy-mode coverage)
    translation.py  an image-to-image model on held-out data (PSNR/SSIM, FD, cycle error)
    training.py     periodic scoring during training: metrics-eval.csv, best.safetensors
    folders.py      two folders of images, no model
    curves.py       the evaluation curves (metrics.png)
    options.py      what `ganforge eval` asks of a run's evaluator

Which of these scores a run is its task's choice (``Task.evaluate``, ganforge/tasks): this package
knows models by what they compute (a ``NoiseGenerator``, a ``Translator``), not by task name.
"""

from ganforge.evaluation.generator import (
    RealData,
    as_real,
    content_id,
    evaluate_noise_model,
    generate,
    load_real,
    reference_for,
    sample_labels,
    score_generator,
    score_images,
    score_toy,
)
from ganforge.evaluation.options import EvalOptions
from ganforge.evaluation.protocol import (
    FEATURE_DIMS,
    FEATURES,
    METRIC_ALIASES,
    METRIC_KEYS,
    REAL_SPLIT,
    auto_metrics,
    check_modes,
    check_sample_count,
    default_features,
    default_metrics,
    direction,
    display_name,
    drop_fd_if_too_few,
    fd_minimum,
    features_note,
    format_table,
    inception_cache_path,
    inception_cached,
    is_toy,
    jsonable,
    parse_metrics,
    protocol_hash,
    reported_names,
    resolve_features,
)

__all__ = [
    "FEATURES",
    "FEATURE_DIMS",
    "METRIC_ALIASES",
    "METRIC_KEYS",
    "REAL_SPLIT",
    "EvalOptions",
    "RealData",
    "as_real",
    "auto_metrics",
    "check_modes",
    "check_sample_count",
    "content_id",
    "default_features",
    "default_metrics",
    "direction",
    "display_name",
    "drop_fd_if_too_few",
    "evaluate_noise_model",
    "fd_minimum",
    "features_note",
    "format_table",
    "generate",
    "inception_cache_path",
    "inception_cached",
    "is_toy",
    "jsonable",
    "load_real",
    "parse_metrics",
    "protocol_hash",
    "reference_for",
    "reported_names",
    "resolve_features",
    "sample_labels",
    "score_generator",
    "score_images",
    "score_toy",
]
