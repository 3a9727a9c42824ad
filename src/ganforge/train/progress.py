"""The progress bar of a run (tqdm): images as the unit, the task's columns beside img/s."""

from __future__ import annotations

from typing import Any

from tqdm.auto import tqdm


class Progress:
    """A bar over ``total`` images from ``start``; ``show`` are the columns shown beside it."""

    def __init__(self, total: int, start: int, name: str, show: tuple[str, ...], on: bool) -> None:
        self.show = show
        self.bar = tqdm(
            total=total,
            initial=min(start, total),
            unit="img",
            unit_scale=True,
            disable=not on,
            dynamic_ncols=True,
            desc=name,
        )

    def update(self, images: int) -> None:
        self.bar.update(images)

    def row(self, row: dict[str, Any]) -> None:
        """A metrics.csv row: its shown columns (short names) and img/s beside the bar."""
        self.bar.set_postfix(
            **{k.split("_")[0]: f"{row.get(k, float('nan')):.3f}" for k in self.show},
            ips=f"{row['img_per_s']:.0f}",
        )

    def close(self) -> None:
        self.bar.close()
