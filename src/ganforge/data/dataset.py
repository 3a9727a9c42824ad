"""The in-memory records every data scheme returns: one tensor of items, and what each item is.

``ImageData`` holds a whole data set: uint8 images (or float32 points for the 2-D toys), labels,
and per item its **id** (where it came from: a file path relative to the folder for ``folder:``,
``fashion-mnist/train#12345`` for a canonical set) and any further **fields** (captions, masks,
...). ``subset`` keeps all of them aligned, and keeps the record's class: a subclass that carries
more (``TwoDomainData``'s second domain, a captioned set's captions in ``fields``) survives
``max_images``, cleaning and caching. ``checkpoint_meta`` is what a checkpoint records of the data
(its classes; a subclass adds its own), so the run loader can rebuild the model without the data.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, TypeVar

import torch
from torch import Tensor

Record = TypeVar("Record", bound="ImageData")


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
    ids: list[str] | None = None
    """Per item, where it came from (a file path relative to the source folder, or
    ``<set>/<split>#<index>``); None: ``<name>#<index>`` (``item_ids``)."""
    fields: dict[str, Any] = field(default_factory=dict)
    """Further per-item values by name (a list or a tensor of N each: captions, masks, ...),
    kept aligned with the images by ``subset``."""

    def __len__(self) -> int:
        return self.images.shape[0]

    @property
    def is_image(self) -> bool:
        return self.images.dtype == torch.uint8

    def item_ids(self) -> list[str]:
        """Every item's id (``ids``, or ``<name>#<index>`` for a set that has none)."""
        return (
            list(self.ids)
            if self.ids is not None
            else [f"{self.name}#{i}" for i in range(len(self))]
        )

    def subset(self: Record, index: Tensor | list[int] | slice) -> Record:
        """The items at ``index`` (a slice, a list of positions, an int64 or bool tensor), with
        their labels, ids and fields, as the same record class; the report is shared."""
        if isinstance(index, slice):
            rows = list(range(len(self)))[index]
        else:
            t = torch.as_tensor(index)
            rows = (t.nonzero().flatten() if t.dtype == torch.bool else t.long()).tolist()
        pick = torch.tensor(rows, dtype=torch.long)
        return dataclasses.replace(
            self,
            images=self.images[pick],
            labels=None if self.labels is None else self.labels[pick],
            ids=None if self.ids is None else [self.ids[i] for i in rows],
            fields={k: _take(v, rows, pick) for k, v in self.fields.items()},
            **self._subset_extra(rows, pick),
        )

    def _subset_extra(self, rows: list[int], pick: Tensor) -> dict[str, Any]:
        """A subclass's own per-item attributes at ``rows`` (for ``subset``)."""
        return {}

    def checkpoint_meta(self) -> dict[str, Any]:
        """What a checkpoint records of this data (JSON): the classes a model was built for."""
        return {"num_classes": self.num_classes, "class_names": list(self.class_names)}


def _take(value: Any, rows: list[int], pick: Tensor) -> Any:
    """``value[rows]`` of a per-item field: a tensor or a list."""
    if isinstance(value, Tensor):
        return value[pick]
    return [value[i] for i in rows]
