"""``fashion-captions``: the shipped Fashion-MNIST with captions, the offline text-to-image demo.

The images of ``fashion-mnist`` (``data.split``: the embedded test split works offline) at the
configured size, each with captions written from its class and its measured properties
(``fashion_captions.py``, ``fashion_properties.py``):

- ``captions``: ``TRAIN_CAPTIONS`` captions in the TRAIN wording, what the generator is
  conditioned on;
- ``encoder_captions``: ``HELD_OUT_CAPTIONS`` more in the HELD-OUT wording, which only the
  sentence encoder's contrastive pre-training reads (as DAMSM learns its words from image-caption
  pairs): the generator never trains on them, and the evaluation asks for images in that wording
  (``evaluation/text2image.py``).

With ``data.max_images`` only the first N images are captioned (and the thresholds are theirs).
The per-class thresholds that named the properties are in the data report
(``caption_thresholds``) and are refitted, identically, when a run is evaluated. The captions
depend on the images only (a fixed seed), not on the run's seed.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ganforge.config import DataConfig
from ganforge.data.dataset import ImageData
from ganforge.data.schemes import SCHEMES, register_scheme
from ganforge.data.transforms import conform
from ganforge.errors import GanforgeError
from ganforge.text.fashion_captions import make_captions
from ganforge.text.fashion_properties import Thresholds, fit_thresholds, measure, name_properties

TRAIN_CAPTIONS = 5
HELD_OUT_CAPTIONS = 3
CAPTION_SEED = 0
"""The captions are part of the data set: the same for every run."""


def thresholds_of(data: ImageData) -> Thresholds:
    """The per-class property thresholds of a record's images (uint8 grey)."""
    if data.labels is None or data.images.shape[1] != 1:
        raise GanforgeError("the Fashion-MNIST captions need grey images with their classes")
    return fit_thresholds(measure(data.images), data.labels, data.num_classes)


def caption_fashion(data: ImageData) -> ImageData:
    """``data`` (grey Fashion-MNIST images at their final size) with both caption fields."""
    thr = thresholds_of(data)
    named = name_properties(measure(data.images), data.labels, thr)
    train = make_captions(data.labels, named, TRAIN_CAPTIONS, seed=CAPTION_SEED)
    held = make_captions(data.labels, named, HELD_OUT_CAPTIONS, True, seed=CAPTION_SEED + 1)
    report = {
        **data.report,
        "caption_layout": "generated: class + measured properties (text/fashion_captions.py)",
        "n_captions": TRAIN_CAPTIONS * len(data),
        "n_encoder_captions": HELD_OUT_CAPTIONS * len(data),
        "caption_thresholds": thr.to_dict(),
        "caption_examples": train[0][:3] + held[0][:2],
    }
    fields = {**data.fields, "captions": train, "encoder_captions": held}
    return dataclasses.replace(data, fields=fields, report=report, name="fashion-captions")


def _read(argument: str, cfg: DataConfig, seed: int, options: Any) -> ImageData:
    if cfg.channels != 1:
        raise GanforgeError(
            "data.source=fashion-captions is grey: set data.channels=1 (or use captioned:PATH)"
        )
    data = SCHEMES["fashion-mnist"].read("", cfg, seed, options)
    if 0 < cfg.max_images < len(data):  # what load_data keeps anyway: caption only those
        data = data.subset(slice(0, cfg.max_images))
    # The properties are measured at the size the model makes, so generated images are judged
    # on the same scale (load_data's own conform is then a no-op).
    data = dataclasses.replace(data, images=conform(data.images, cfg.resolution, 1))
    return caption_fashion(data)


register_scheme(
    "fashion-captions",
    _read,
    doc="Fashion-MNIST with captions from class and measured properties (text-to-image demo)",
)
