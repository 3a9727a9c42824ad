"""2-D toy data sets for watching mode collapse: the 8-Gaussian ring and the 25-Gaussian grid.

The ring (8 modes on a circle of radius 2) follows Metz et al. 2017, "Unrolled Generative
Adversarial Networks" (arXiv:1611.02163); the 5 x 5 grid at coordinates -4, -2, 0, 2, 4 follows
Srivastava et al. 2017, "VEEGAN" (arXiv:1705.07761), and later mode-coverage papers. Each point is
drawn from a mixture with equal weights: pick a mode k uniformly, then x = mu_k + sigma * eps.
The metrics code counts covered modes with ``ring_centers()`` / ``grid_centers()``.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from ganforge.config import DataConfig
from ganforge.data.dataset import ImageData
from ganforge.data.schemes import register_scheme
from ganforge.errors import GanforgeError

RING_RADIUS = 2.0
RING_MODES = 8
GRID_COORDS = (-4.0, -2.0, 0.0, 2.0, 4.0)


def ring_centers() -> torch.Tensor:
    """(8, 2) float32 centres: radius 2, equally spaced, the first on the positive x axis."""
    angles = torch.arange(RING_MODES, dtype=torch.float64) * (2 * math.pi / RING_MODES)
    return (RING_RADIUS * torch.stack([angles.cos(), angles.sin()], dim=1)).float()


def grid_centers() -> torch.Tensor:
    """(25, 2) float32 centres of the 5 x 5 grid, row-major in (x, y)."""
    c = torch.tensor(GRID_COORDS)
    xs, ys = torch.meshgrid(c, c, indexing="ij")
    return torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=1)


TOY_CENTERS = {"toy-ring": ring_centers, "toy-grid": grid_centers}


def sample_mixture(
    centers: torch.Tensor, n: int, std: float, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """n points of the equal-weight Gaussian mixture -> (float32 (n, 2) points, int64 (n,) mode)."""
    k = centers.shape[0]
    modes = torch.randint(0, k, (n,), generator=generator)
    noise = torch.randn((n, centers.shape[1]), generator=generator)
    return centers[modes] + std * noise, modes


def load_toy(source: str, n: int, std: float, seed: int = 0) -> ImageData:
    """A toy set as ImageData: float32 (n, 2) points labelled by the index of their mode."""
    centers = TOY_CENTERS[source]()
    # A private generator: the same seed gives the same points whatever else used torch's RNG.
    g = torch.Generator().manual_seed(seed)
    points, modes = sample_mixture(centers, n, std, g)
    names = [f"({x:g}, {y:g})" for x, y in centers.tolist()]
    counts = torch.bincount(modes, minlength=len(names)).tolist()
    report = {
        "source": source,
        "origin": "generated",
        "n_images": n,
        "shape": list(points.shape),
        "std": std,
        "seed": seed,
        "centers": centers.tolist(),
        "class_counts": dict(zip(names, counts)),
        "warnings": [],
    }
    return ImageData(points, modes, len(names), source, names, report)


def _reader(source: str):
    def read(argument: str, cfg: DataConfig, seed: int, options: Any) -> ImageData:
        if cfg.toy_samples < 1 or cfg.toy_std < 0:
            raise GanforgeError("data.toy_samples must be positive and data.toy_std non-negative")
        return load_toy(source, cfg.toy_samples, cfg.toy_std, seed)

    return read


register_scheme("toy-ring", _reader("toy-ring"), kind="points", doc="8-Gaussian ring (radius 2)")
register_scheme("toy-grid", _reader("toy-grid"), kind="points", doc="25-Gaussian grid (spacing 2)")
