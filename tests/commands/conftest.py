from __future__ import annotations

import numpy as np
import pytest

from ganforge.cli import main
from tiny_runs import cgan_run, dcgan_run, toy_run  # noqa: F401  (session-scoped fixtures)


@pytest.fixture
def ganforge_cli(capsys):
    """Run ``ganforge ARGS`` in-process -> captured (out, err); checks the exit code, and for
    exit code 2 that stderr is exactly one ``ganforge: error:`` line."""

    def run(*args, code: int = 0):
        rc = main([str(a) for a in args])
        captured = capsys.readouterr()
        assert rc == code, captured.err
        if code == 2:
            lines = captured.err.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("ganforge: error: "), lines
        return captured

    return run


@pytest.fixture
def tile_x():
    """Where a sample appears in one row of a figure: ``tile_x(figure, image, top, scale)`` ->
    the left edges x at which ``image`` (H, W uint8), enlarged ``scale`` times, matches the
    figure's pixels from row ``top`` down, within one grey level (batch sizes change the last bit
    of a convolution)."""

    def find(figure: np.ndarray, image: np.ndarray, top: int, scale: int = 2) -> list[int]:
        fig = figure[..., 0] if figure.ndim == 3 else figure
        big = image.repeat(scale, 0).repeat(scale, 1).astype(int)
        h, w = big.shape
        band = fig[top : top + h].astype(int)
        return [
            x for x in range(band.shape[1] - w + 1) if np.abs(band[:, x : x + w] - big).max() <= 1
        ]

    return find
