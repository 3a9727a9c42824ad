"""What ``ganforge eval RUN`` asks of a run's evaluator: one options object for every task.

Each task's evaluator (``Task.evaluate``) reads the options that apply to it and refuses, with
one line, those that do not (``refuse``): e.g. ``--direction`` on a noise-to-image run, or
``--metrics`` on an image-to-image run, which is scored by its own protocol.
"""

from __future__ import annotations

from dataclasses import dataclass

from ganforge.errors import GanforgeError

FLAGS = {
    "metrics": "--metrics",
    "features": "--features",
    "split": "--split",
    "real": "--real",
    "direction": "--direction",
    "fidelity_channels": "--fidelity-channels",
}


@dataclass
class EvalOptions:
    n: int = 10_000
    """Samples (or held-out examples) scored."""
    seed: int = 0
    batch: int | None = None
    metrics: str | None = None
    """Comma-separated metric names (noise-to-image runs)."""
    features: str = "auto"
    split: str | None = None
    real: str | None = None
    """Other real data than the run's own (noise-to-image runs)."""
    direction: str | None = None
    """AtoB | BtoA (image-to-image runs)."""
    fidelity_channels: str | None = None
    """auto | y | all (image-to-image runs)."""

    def __post_init__(self) -> None:
        if self.n < 1:
            raise GanforgeError(f"--n must be positive, got {self.n}")
        if self.batch is not None and self.batch < 1:
            raise GanforgeError(f"--batch must be positive, got {self.batch}")

    def refuse(self, *names: str, why: str) -> None:
        """One-line error if any of ``names`` was given: e.g. ``--direction ... are for ...``."""
        for name in names:
            value = getattr(self, name)
            if value not in (None, "") and not (name == "features" and value == "auto"):
                raise GanforgeError(f"{FLAGS[name]} {why}; leave it out")
