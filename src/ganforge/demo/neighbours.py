"""Nearest neighbours of an upload among a gallery of images, in a model's code space: what the
demo page shows for the ``encode`` use.

The gallery is the run's own data (the first ``size`` images of ``Task.load_data``), read and
encoded once, on the first search, with the same ``infer("encode", ...)`` call the upload gets, so
an image of the gallery uploaded as it is finds itself at distance 0. Distances are Euclidean
between codes (``ganforge dedup`` binarises the same codes; the page shows the plain distances,
which also rank images that share a hash).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor

from ganforge.data.dataset import ImageData
from ganforge.errors import GanforgeError

DEFAULT_SIZE = 2000
"""Gallery images searched by default (the first of the run's data)."""


@dataclass
class Gallery:
    """Images to search, read on first use: ``load()`` gives the record (the run's data)."""

    load: Callable[[], ImageData]
    size: int = DEFAULT_SIZE
    _images: Tensor | None = field(default=None, init=False, repr=False)
    _ids: list[str] = field(default_factory=list, init=False, repr=False)
    _codes: Tensor | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def codes(self, encode: Callable[[Tensor], Tensor]) -> tuple[Tensor, Tensor, list[str]]:
        """(images uint8 (M, C, H, W), their codes float32 (M, code), their ids), encoded once."""
        with self._lock:
            if self._codes is None:
                data = self.load()
                if not data.is_image or len(data) == 0:
                    raise GanforgeError("the gallery (the run's data) holds no images to search")
                data = data.subset(slice(0, self.size))
                self._images, self._ids = data.images, data.item_ids()
                self._codes = encode(self._images).float()
            return self._images, self._codes, self._ids

    def nearest(
        self, code: Tensor, encode: Callable[[Tensor], Tensor], k: int = 8
    ) -> tuple[Tensor, Tensor, list[str]]:
        """The ``k`` gallery images nearest to ``code`` (code,): (images (k, C, H, W), distances
        (k,), ids), nearest first (ties: the earlier image)."""
        images, codes, ids = self.codes(encode)
        if code.shape[-1] != codes.shape[-1]:
            raise GanforgeError(
                f"a code of {code.shape[-1]} units cannot be compared with the gallery's "
                f"{codes.shape[-1]}"
            )
        d = torch.cdist(code.float().reshape(1, -1), codes).squeeze(0)  # (M,)
        k = min(k, len(d))
        # A stable sort: equal distances keep the gallery's order.
        order = torch.sort(d, stable=True).indices[:k]
        return images[order], d[order], [ids[int(i)] for i in order]
