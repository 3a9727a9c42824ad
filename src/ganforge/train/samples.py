"""The sample grids of a run folder: real images once, then the sample model on fixed inputs."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from ganforge.data.dataset import ImageData
from ganforge.images import save_grid, to_uint8


def save_reals(path: Path, data: ImageData, n: int, toy_name: str) -> None:
    from ganforge.report.plots import plot_toy

    if data.is_image:
        save_grid(path, data.images[torch.arange(min(n, len(data)))])
    else:
        plot_toy(path, data.images, None, toy_name)


def save_fakes(path: Path, task, G: nn.Module, fixed: dict, data: ImageData, cfg) -> None:
    """A grid of ``G`` (in eval mode) on the run's fixed inputs; image-to-image grids are rows of
    input | output | target tiles. Toy data: a scatter of 2,000 points over the real ones."""
    from ganforge.report.plots import plot_toy

    was_training = G.training
    G.eval()
    try:
        if data.is_image:
            fake = task.generate(G, fixed)
            save_grid(path, to_uint8(fake), getattr(task, "grid_nrow", None))
            return
        device = next(G.parameters()).device
        gen = torch.Generator(device=device).manual_seed(cfg.train.seed + 7)
        z = torch.randn(2000, G.z_dim, generator=gen, device=device)
        with torch.no_grad():
            pts = G(z).float().cpu()
        plot_toy(path, data.images, pts, cfg.data.source)
    finally:
        G.train(was_training)
