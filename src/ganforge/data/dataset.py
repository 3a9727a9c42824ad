"""The in-memory data set every reader returns: one tensor (uint8 images or float32 toy points)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch


@dataclass
class ImageData:
    """A whole data set held in memory.

    ``images`` is uint8 (N, C, H, W) in [0, 255] for image sets, or float32 (N, 2) for the 2-D toys.
    ``labels`` is int64 (N,) or None. ``report`` is the data report written to the run folder
    (source, counts, files skipped and why, ...), JSON-serialisable.
    """

    images: torch.Tensor
    labels: torch.Tensor | None
    num_classes: int
    name: str
    class_names: list[str] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return self.images.shape[0]

    @property
    def is_image(self) -> bool:
        return self.images.dtype == torch.uint8
