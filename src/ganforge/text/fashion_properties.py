"""Properties measured on each Fashion-MNIST image, and the per-class thresholds that name them.

The offline text-to-image demo captions the shipped Fashion-MNIST with words that are true of each
image (``text/fashion_captions.py``), and scores generated images by measuring the same
properties. Three are measured, each on the item's silhouette (pixels above ``MASK_LEVEL``):

- brightness: mean intensity of the item's pixels, in [0, 1].
- width: mean horizontal extent of the silhouette's rows, as a fraction of the image width
  (wide-leg against narrow trousers, a flared against a straight dress).
- texture: mean |x - box3x3(x)| over the silhouette's interior (eroded by one pixel, so the
  outline does not count), in [0, 1]: prints, stripes and knits against plain cloth.

Each is compared with the quantiles of its class (a bright sandal is not a bright coat):
the lowest third is "dark" / "narrow" / "plain", the highest third "light" / "wide" /
"patterned", and the middle third is left unsaid, so that a caption's word is clearly true of
its image. An attribute of a generated image is judged against the class median, the midpoint
between the two named thirds.

Fashion-MNIST stores negated intensities (Xiao et al. 2017, section 2: the product photos were
converted to grey and negated), so the background is black and a "dark" image here, dim pixels
on black, was a light garment in the original photograph. The captions describe the image as it
is stored and shown, which is what the generator makes and what is measured.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from ganforge.errors import GanforgeError

PROPERTIES = ("brightness", "width", "texture")
MASK_LEVEL = 13
"""uint8 level above which a pixel belongs to the item (5% of full scale): the background of the
data is 0, and of a generator's tanh output a few levels at most."""
LOW_Q, HIGH_Q = 1 / 3, 2 / 3


def measure(images: Tensor) -> dict[str, Tensor]:
    """uint8 (N, 1, H, W) -> {"brightness", "width", "texture"}: (N,) float32 each, in [0, 1].

    An image without any item pixel measures 0 on every property.
    """
    if images.dtype != torch.uint8 or images.dim() != 4 or images.shape[1] != 1:
        raise ValueError(
            f"expected uint8 (N, 1, H, W) images, got {images.dtype} {tuple(images.shape)}"
        )
    x = images[:, 0].float() / 255.0  # (N, H, W)
    mask = images[:, 0] > MASK_LEVEL  # (N, H, W)
    n_item = mask.sum((1, 2)).clamp(min=1)
    brightness = (x * mask).sum((1, 2)) / n_item

    W = x.shape[-1]
    col = torch.arange(W, device=x.device)
    first = torch.where(mask, col, W).amin(-1)  # (N, H); W where a row is empty
    last = torch.where(mask, col, -1).amax(-1)
    rows = mask.any(-1)  # (N, H)
    extent = (last - first + 1).clamp(min=0).float()
    width = (extent * rows).sum(-1) / rows.sum(-1).clamp(min=1) / W

    m = mask.float().unsqueeze(1)  # (N, 1, H, W)
    interior = (-F.max_pool2d(-m, 3, 1, 1)).squeeze(1) > 0  # erosion by a 3x3 square
    blur = F.avg_pool2d(x.unsqueeze(1), 3, 1, 1, count_include_pad=False).squeeze(1)
    detail = (x - blur).abs()
    texture = (detail * interior).sum((1, 2)) / interior.sum((1, 2)).clamp(min=1)
    return {"brightness": brightness, "width": width, "texture": texture}


@dataclass(frozen=True)
class Thresholds:
    """Per-class quantiles of each property: ``low``, ``median``, ``high`` map a property name to
    one value per class. Saved with a run (``to_dict``) so that evaluation names the properties of
    generated images exactly as the training captions named the data's."""

    low: dict[str, list[float]]
    median: dict[str, list[float]]
    high: dict[str, list[float]]

    @property
    def num_classes(self) -> int:
        return len(self.median["brightness"])

    def to_dict(self) -> dict[str, Any]:
        return {"low": self.low, "median": self.median, "high": self.high}

    @classmethod
    def from_dict(cls, data: object, num_classes: int = 10) -> Thresholds:
        """Validate a parsed JSON object (untrusted: it comes from a run folder)."""
        ok = isinstance(data, dict) and set(data) == {"low", "median", "high"}
        parts = {}
        for part in ("low", "median", "high"):
            table = data.get(part) if ok else None
            ok = ok and isinstance(table, dict) and set(table) == set(PROPERTIES)
            for name in PROPERTIES:
                values = table.get(name) if ok else None
                ok = (
                    ok
                    and isinstance(values, list)
                    and len(values) == num_classes
                    and all(
                        isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1
                        for v in values
                    )
                )
            if ok:
                parts[part] = {name: [float(v) for v in table[name]] for name in PROPERTIES}
        if not ok:
            raise GanforgeError(
                "the caption thresholds are malformed: expected low/median/high, each with "
                f"{', '.join(PROPERTIES)} as {num_classes} numbers in [0, 1]"
            )
        return cls(parts["low"], parts["median"], parts["high"])


def fit_thresholds(props: dict[str, Tensor], labels: Tensor, num_classes: int = 10) -> Thresholds:
    """The per-class thirds and median of each property of the training images. A class with
    no images (a subset of the classes) takes those of all the images: no caption of it is
    written from them, and a caption asking for it is judged against the whole set."""
    low: dict[str, list[float]] = {}
    median: dict[str, list[float]] = {}
    high: dict[str, list[float]] = {}
    q = torch.tensor([LOW_Q, 0.5, HIGH_Q])
    if len(labels) == 0:
        raise GanforgeError("no images: cannot set the caption thresholds")
    for name in PROPERTIES:
        low[name], median[name], high[name] = [], [], []
        for c in range(num_classes):
            values = props[name][labels == c]
            if len(values) == 0:
                values = props[name]
            lo, mid, hi = torch.quantile(values.double(), q.double()).tolist()
            low[name].append(lo)
            median[name].append(mid)
            high[name].append(hi)
    return Thresholds(low, median, high)


def name_properties(props: dict[str, Tensor], labels: Tensor, thr: Thresholds) -> dict[str, Tensor]:
    """(N,) int8 per property: 1 in the class's top third (light / wide / patterned), 0 in its
    bottom third (dark / narrow / plain), -1 in the middle (left unsaid)."""
    out = {}
    for name in PROPERTIES:
        lo = torch.tensor(thr.low[name], dtype=props[name].dtype)[labels]
        hi = torch.tensor(thr.high[name], dtype=props[name].dtype)[labels]
        v = props[name]
        out[name] = torch.where(v >= hi, 1, torch.where(v <= lo, 0, -1)).to(torch.int8)
    return out


def above_median(props: dict[str, Tensor], labels: Tensor, thr: Thresholds) -> dict[str, Tensor]:
    """(N,) bool per property: above the median of class ``labels`` (how generated images are
    judged: the intended class's median, whatever class the image turned out to be)."""
    return {
        name: props[name] > torch.tensor(thr.median[name], dtype=props[name].dtype)[labels]
        for name in PROPERTIES
    }
