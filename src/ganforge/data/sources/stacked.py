"""Stacked Fashion-MNIST: three Fashion-MNIST items as the R, G and B planes of one image, a
1,000-mode data set for counting the modes a generator covers.

The StackedMNIST protocol of Metz et al. 2017 ("Unrolled Generative Adversarial Networks", ICLR)
and Srivastava et al. 2017 ("VEEGAN", NeurIPS), with Fashion-MNIST in place of MNIST (which this
machine's data sources may not hold): each image stacks three independently drawn items, so its
class is the triplet (c_R, c_G, c_B), one of 10^3 = 1,000 equally likely modes. A generator's
modes are counted by classifying each plane with the Fashion-MNIST classifier
(``metrics.mode_coverage.stacked_mode_coverage``).
"""

from __future__ import annotations

from typing import Any

import torch

from ganforge.config import DataConfig
from ganforge.data.dataset import ImageData
from ganforge.data.schemes import register_scheme
from ganforge.data.sources.sets import load_idx_source
from ganforge.errors import GanforgeError

NUM_MODES = 1000


def load_stacked_fashion_mnist(cfg: DataConfig, seed: int = 0) -> ImageData:
    """uint8 (N, 3, 28, 28) with N the split's size, labels c_R * 100 + c_G * 10 + c_B."""
    if cfg.channels != 3:
        raise GanforgeError(
            f"data.source=stacked-fashion-mnist makes RGB images: set data.channels=3, not "
            f"{cfg.channels}"
        )
    base = load_idx_source("fashion-mnist", cfg)
    n = len(base)
    g = torch.Generator().manual_seed(seed * 7919 + 3)
    picks = torch.stack([torch.randperm(n, generator=g) for _ in range(3)])  # (3, N)
    images = torch.cat([base.images[picks[c]] for c in range(3)], dim=1)  # (N, 3, 28, 28)
    labels = base.labels[picks[0]] * 100 + base.labels[picks[1]] * 10 + base.labels[picks[2]]
    names = base.class_names
    class_names = [f"{names[i // 100]}/{names[i // 10 % 10]}/{names[i % 10]}" for i in range(1000)]
    report = {**base.report, "stacked": "3 independent draws as R, G, B; 1,000 modes"}
    base_ids = base.item_ids()
    ids = ["+".join(base_ids[int(picks[c, i])] for c in range(3)) for i in range(n)]
    return ImageData(
        images, labels, NUM_MODES, "stacked-fashion-mnist", class_names, report, ids=ids
    )


def _read(argument: str, cfg: DataConfig, seed: int, options: Any) -> ImageData:
    return load_stacked_fashion_mnist(cfg, seed)


register_scheme(
    "stacked-fashion-mnist",
    _read,
    doc="three Fashion-MNIST items as R, G, B: 1,000 modes (the StackedMNIST protocol)",
)
