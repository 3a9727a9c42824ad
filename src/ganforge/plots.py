"""Figures of a run: loss curves from metrics.csv and 2-D toy scatter plots (matplotlib, Agg).

Which columns share a panel is the task's to say (``Task.plot_panels``, passed in); every other
logged column gets a panel of its own, and the learning rates one together when they change.
Nothing here knows a model family."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import torch

from ganforge.images import atomic_write_bytes


def _figure():
    # matplotlib takes ~0.5 s to import: loaded on the first plot, not with the trainer.
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


Panels = tuple[tuple[str, tuple[str, ...]], ...] | list
"""(title, columns) pairs: the curves drawn together."""

BOOKKEEPING = frozenset({"images", "iterations", "g_steps", "img_per_s", "wall_s"})
"""Columns that are not curves of the model (``g_steps``: the iterations of earlier versions);
learning rates (``lr_*``) are drawn in a panel of their own when they change."""
PER_ROW = 3


def _has_values(ys: list[float]) -> bool:
    return any(y == y for y in ys)  # NaN != NaN: all-NaN columns are empty


def extra_columns(cols: dict[str, list[float]], panels: Panels = ()) -> list[str]:
    """Logged columns no panel names (pix2pix: g_adv, l1, psnr, ssim; a plug-in's own), in file
    order, bookkeeping, learning rates and empty ones left out."""
    shown = {k for _, keys in panels for k in keys} | BOOKKEEPING
    return [
        k
        for k, ys in cols.items()
        if k not in shown and not k.startswith("lr_") and _has_values(ys)
    ]


def _changing(ys: list[float]) -> bool:
    values = {y for y in ys if y == y}
    return len(values) > 1


def plot_losses(csv_path: Path, out: Path, panels: Panels = ()) -> None:
    """losses.png over images: the task's ``panels`` (a GAN's: losses, D outputs, penalties and
    gradient norms), then one panel per other logged column (each on its own scale: dB, [0, 1],
    ...), then the learning rates when a schedule changes them."""
    cols = read_metrics(csv_path)
    if not cols.get("images"):
        return
    plt = _figure()
    x = [i / 1000 for i in cols["images"]]
    drawn = [(title, list(keys)) for title, keys in panels]
    drawn = [p for p in drawn if any(_has_values(cols.get(k, [])) for k in p[1])]
    drawn += [(k, [k]) for k in extra_columns(cols, panels)]
    lrs = [k for k in cols if k.startswith("lr_") and _changing(cols[k])]
    if lrs:
        drawn.append(("learning rates", lrs))
    panels = drawn
    if not panels:
        return  # nothing logged yet but bookkeeping
    rows = -(-len(panels) // PER_ROW)
    fig, axes = plt.subplots(rows, PER_ROW, figsize=(14, 3.6 * rows), squeeze=False)
    for ax, (title, keys) in zip(axes.flat, panels):
        for k in keys:
            ys = cols.get(k, [])
            if ys and _has_values(ys):
                ax.plot(x, ys, label=k, linewidth=1)
        ax.set_title(title)
        ax.set_xlabel("kimg")
        ax.grid(alpha=0.3)
        if ax.lines and len(keys) > 1:
            ax.legend(fontsize=8)
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)  # the unused cells of the last row
    fig.tight_layout()
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
