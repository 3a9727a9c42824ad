"""Sample-quality metrics: feature extractors, scores, reference statistics and the registry.

One file per concept: ``features`` (extractor interface), ``inception`` / ``fmnist_net`` /
``imagenet`` (the networks; ``imagenet`` is EfficientNet-Lite1 from a wheel, for any folder),
``fid``, ``kid``, ``inception_score``, ``precision_recall``, ``density_coverage``,
``mode_coverage``, ``memorization``, ``reference`` (cached real statistics) and ``registry``
(``METRICS`` and ``evaluate``). Importing this package is light; torch loads with the submodules.
"""

from __future__ import annotations

from typing import Any

__all__ = ["METRICS", "evaluate", "load_extractor"]


def __getattr__(name: str) -> Any:
    # Lazy, so that `import ganforge.metrics.<one metric>` does not load every network.
    if name in ("METRICS", "evaluate"):
        from ganforge.metrics import registry

        return getattr(registry, name)
    if name == "load_extractor":
        from ganforge.metrics.features import load_extractor

        return load_extractor
    raise AttributeError(f"module 'ganforge.metrics' has no attribute {name!r}")
