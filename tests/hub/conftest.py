from __future__ import annotations

from pathlib import Path

import pytest

from ganforge.explore.hub_export import save_pretrained
from ganforge.runs import load_run
from tiny_runs import cgan_run, dcgan_run  # noqa: F401  (session-scoped fixtures)


@pytest.fixture(scope="session")
def hub_folder(dcgan_run, tmp_path_factory) -> Path:  # noqa: F811
    """The tiny unconditional run exported as a model folder (float32)."""
    return save_pretrained(load_run(dcgan_run), tmp_path_factory.mktemp("hub") / "tiny-gan")


@pytest.fixture(scope="session")
def hub_folder_cgan(cgan_run, tmp_path_factory) -> Path:  # noqa: F811
    """The tiny conditional run exported as a float16 model folder."""
    out = tmp_path_factory.mktemp("hub") / "tiny-cgan"
    return save_pretrained(load_run(cgan_run), out, dtype="float16")
