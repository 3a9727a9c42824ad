"""Shared fixtures: tiny in-memory data sets and an isolated cache folder."""

from __future__ import annotations

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
    torch.set_num_threads(2)


@pytest.fixture
def tiny_data() -> ImageData:
    return random_images()
