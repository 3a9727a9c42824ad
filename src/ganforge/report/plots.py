"""Figures of a run: loss curves from metrics.csv and 2-D toy scatter plots (matplotlib, Agg)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import torch

from ganforge.images import atomic_write_bytes


def _figure():
    import matplotlib

    matplotlib.use("Agg")  # no display on servers; must precede pyplot
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    atomic_write_bytes(path, buf.getvalue())


def read_metrics(csv_path: Path) -> dict[str, list[float]]:
    """Columns of metrics.csv as float lists (empty cells become NaN)."""
    with open(csv_path) as f:
        rows = list(csv.DictReader(f))
    cols: dict[str, list[float]] = {}
    for row in rows:
        for k, v in row.items():
            cols.setdefault(k, []).append(float(v) if v not in ("", None) else float("nan"))
    return cols


def plot_losses(csv_path: Path, out: Path) -> None:
    """losses.png: D and G losses, D(x) / D(G(z)), and penalties / gradient norms, over images."""
    cols = read_metrics(csv_path)
    if not cols.get("images"):
        return
    plt = _figure()
    x = [i / 1000 for i in cols["images"]]
    panels = [
        ("losses", ["d_loss", "g_loss"]),
        ("D outputs", ["d_real", "d_fake"]),
        ("regularisers / grad norms", ["gp", "r1", "d_grad_norm", "g_grad_norm"]),
    ]
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.6))
    for ax, (title, keys) in zip(axes, panels):
        for k in keys:
            ys = cols.get(k, [])
            if ys and any(y == y for y in ys):  # skip all-NaN columns
                ax.plot(x, ys, label=k, linewidth=1)
        ax.set_title(title)
        ax.set_xlabel("kimg")
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=8)
    _save(fig, out)
    plt.close(fig)


def plot_toy(path: Path, real: torch.Tensor, fake: torch.Tensor | None, title: str) -> None:
    """Scatter of real points (grey) and generated points (red) for the 2-D toys."""
    plt = _figure()
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    r = real[:5000].cpu().numpy()
    ax.scatter(r[:, 0], r[:, 1], s=2, c="0.7", label="real")
    if fake is not None:
        f = fake.cpu().numpy()
        ax.scatter(f[:, 0], f[:, 1], s=2, c="tab:red", label="generated")
    lim = max(float(real.abs().max()) * 1.3, 1.0)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=7, markerscale=4)
    _save(fig, path)
    plt.close(fig)
