"""Fixtures for the metric tests: the embedded Fashion-MNIST test split, read once per session."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import ganforge
from ganforge.data.sources.idx import read_idx

EMBEDDED = Path(ganforge.__file__).parent / "data" / "embedded"


@pytest.fixture(scope="session")
def fmnist_test() -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 (10000, 1, 28, 28) images and int64 (10000,) labels of the t10k split."""
    images = read_idx(EMBEDDED / "t10k-images-idx3-ubyte.gz")
    labels = read_idx(EMBEDDED / "t10k-labels-idx1-ubyte.gz")
    return torch.from_numpy(images).unsqueeze(1), torch.from_numpy(labels.astype(np.int64))
