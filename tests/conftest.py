"""Shared fixtures: tiny in-memory data sets and an isolated cache folder."""

from __future__ import annotations

import os

import pytest
import torch

from ganforge.data.dataset import ImageData
from helpers import random_images


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    # Never touch ~/.cache/ganforge from tests.
    monkeypatch.setenv("GANFORGE_CACHE", str(tmp_path_factory.mktemp("cache")))
    # Never reach the network: the tests of downloads serve files from 127.0.0.1 and unset this.
    monkeypatch.setenv("GANFORGE_OFFLINE", "1")
    # 2 threads: the CI machine's cores. GANFORGE_TEST_THREADS=1 when several jobs share them
    # (oversubscribed torch threads spin-wait on each other, 10x slower or worse).
    torch.set_num_threads(int(os.environ.get("GANFORGE_TEST_THREADS", "2")))


@pytest.fixture
def tiny_data() -> ImageData:
    return random_images()
