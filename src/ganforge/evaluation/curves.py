"""Evaluation curves: every numeric column of ``metrics-eval.csv`` against images seen.

The evaluation log is written by the metrics code during training (FID, KID, precision/recall, mode
coverage, ... every few thousand images); its columns depend on the metrics chosen, so this reads
whatever numeric columns are there, one small panel each, rather than a fixed list.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

X_COLUMNS = ("images", "images_seen", "kimg")
"""Names the x axis may have, in order of preference; otherwise the first column is used."""
NOT_METRICS = ("eval_s", "protocol")
"""Bookkeeping columns of the log (seconds spent, protocol hash): never plotted."""


def read_eval(csv_path: Path) -> tuple[str, dict[str, list[float]]]:
    """-> (x column, numeric columns as float lists); text columns (protocol names) are dropped."""
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return "", {}
    names = list(rows[0])
    x = next((c for c in X_COLUMNS if c in names), names[0])
    cols: dict[str, list[float]] = {}
    for name in names:
        if name in NOT_METRICS:
            continue
        values = []
        for row in rows:
            try:
                values.append(float(row.get(name) or "nan"))
            except ValueError:
                break  # a text column
        else:
            if any(not math.isnan(v) for v in values):
                cols[name] = values
    return (x if x in cols else ""), cols


def plot_eval(csv_path: Path) -> bytes | None:
    """PNG bytes of one panel per metric, or None when the file holds no numeric metric."""
    x_name, cols = read_eval(csv_path)
    metrics = [c for c in cols if c != x_name and not c.endswith("_std")]
    if not x_name or not metrics:
        return None
    # matplotlib takes ~0.5 s to import: loaded on the first plot only.
    import matplotlib

    matplotlib.use("Agg")  # no display on servers; must precede pyplot
    import matplotlib.pyplot as plt

    per_row = min(4, len(metrics))
    n_rows = math.ceil(len(metrics) / per_row)
    fig, axes = plt.subplots(n_rows, per_row, figsize=(3.6 * per_row, 2.8 * n_rows), squeeze=False)
    scale, unit = (1000, "kimg") if x_name == "images" or x_name == "images_seen" else (1, x_name)
    xs = [v / scale for v in cols[x_name]]
    for ax, name in zip(axes.flat, metrics):
        ax.plot(xs, cols[name], marker="o", markersize=3, linewidth=1)
        std = cols.get(f"{name}_std")
        if std:  # KID and IS report a spread over subsets: show it as a band
            lo = [m - s for m, s in zip(cols[name], std)]
            hi = [m + s for m, s in zip(cols[name], std)]
            ax.fill_between(xs, lo, hi, alpha=0.2)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel(unit, fontsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(metrics) :]:
        ax.set_visible(False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()
