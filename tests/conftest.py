"""Shared fixtures: tiny in-memory data sets and an isolated cache folder."""

from __future__ import annotations

import os

import pytest
import torch

from ganforge.data.dataset import ImageData
from helpers import THREADS, WORKERS, random_images

if WORKERS > 1:  # the commands tests start as subprocesses: PyTorch's default thread count,
    # which runtime.threads=0 keeps, is then the test's own
    os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    # Never touch ~/.cache/ganforge from tests.
    monkeypatch.setenv("GANFORGE_CACHE", str(tmp_path_factory.mktemp("cache")))
    # Never reach the network: the tests of downloads serve files from 127.0.0.1 and unset this.
    monkeypatch.setenv("GANFORGE_OFFLINE", "1")
    torch.set_num_threads(THREADS)


@pytest.fixture
def tiny_data() -> ImageData:
    return random_images()
