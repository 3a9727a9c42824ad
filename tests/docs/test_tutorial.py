"""docs/tutorial.ipynb: executed end to end at GANFORGE_TUTORIAL_SCALE=tiny, so it never rots, and
kept equal to what docs/make_tutorial.py writes."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from helpers import THREADS

DOCS = Path(__file__).resolve().parents[2] / "docs"
NOTEBOOK = DOCS / "tutorial.ipynb"

nbformat = pytest.importorskip("nbformat", reason="the notebook extra is not installed")


def _generator():
    spec = importlib.util.spec_from_file_location("make_tutorial", DOCS / "make_tutorial.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_notebook_is_what_its_generator_writes_without_outputs():
    committed = nbformat.read(NOTEBOOK, as_version=4)
    built = _generator().build()
    assert [(c.cell_type, c.source) for c in committed.cells] == [
        (c.cell_type, c.source) for c in built.cells
    ], "docs/tutorial.ipynb is stale: run python3 docs/make_tutorial.py"
    code = [c for c in committed.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)  # outputs stripped


def test_the_notebook_runs_end_to_end_on_tiny_budgets(tmp_path, monkeypatch):
    pytest.importorskip("nbclient", reason="the notebook extra is not installed")
    pytest.importorskip("ipykernel", reason="the notebook extra is not installed")
    from nbclient import NotebookClient

    monkeypatch.setenv("GANFORGE_TUTORIAL_SCALE", "tiny")
    monkeypatch.setenv("GANFORGE_TUTORIAL_OUT", str(tmp_path / "runs"))
    # The kernel is a new process: the test's thread count, and ganforge from this checkout.
    monkeypatch.setenv("OMP_NUM_THREADS", str(THREADS))
    src = str(Path(__file__).resolve().parents[2] / "src")
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))
    )
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError, naming the cell, when one fails
    code = [c for c in nb.cells if c.cell_type == "code"]
    pictures = [sum("image/png" in o.get("data", {}) for o in c.outputs) for c in code]
    # budget, vanilla (losses + grid), DCGAN, cGAN sheet, WGAN-GP (losses + grid), walk,
    # arithmetic, the shipped conditional model's sheet
    assert pictures == [0, 2, 1, 1, 2, 1, 2, 1]
    assert "conditional" in "".join(o.get("text", "") for o in code[-1].outputs)
    runs = sorted(p.name.split("-", 4)[-1] for p in (tmp_path / "runs").iterdir() if p.is_dir())
    assert runs == [
        "cgan-fashion-mnist",
        "dcgan-fashion-mnist",
        "vanilla-mnist-mlp",
        "wgangp-fashion-mnist",
    ]
    assert (tmp_path / "runs" / "walk.gif").stat().st_size > 0
    assert (tmp_path / "runs" / "dcgan-samples.png").stat().st_size > 0
