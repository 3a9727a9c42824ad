"""Field checks shared by the config sections: one-line errors that name the key, the value and
what is allowed, raised when a config is built (before any data is read or folder made)."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable

from ganforge.errors import GanforgeError

SEED_LIMIT = 2**32
"""Seeds are 32-bit: derived seeds (seed * 1_000_003 + epoch, seed + 12345) must stay in int64."""


def choice(value: str, allowed: Iterable[str], key: str) -> None:
    """``value`` must be one of ``allowed``; the error suggests the closest spelling."""
    allowed = tuple(allowed)
    if value not in allowed:
        hint = difflib.get_close_matches(str(value), allowed, n=1)
        extra = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise GanforgeError(f"{key}={value!r} is not one of {', '.join(allowed)}{extra}")


def number(
    value: float,
    key: str,
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
    hi_open: bool = False,
    hint: str = "",
) -> None:
    """``value`` must be finite and inside [lo, hi] (an open end excludes the bound itself). The
    message names the bound that was crossed: "must be at least 1", "must be >= 0", "must be
    positive", "must be at most 4,096", or the whole range when both ends are tight."""
    if isinstance(value, float) and not math.isfinite(value):
        raise GanforgeError(f"{key}={value} must be a finite number{hint}")
    if lo is not None and (value <= lo if lo_open else value < lo):
        if hi is not None and hi - lo <= 1:  # e.g. a probability: say the whole range
            raise GanforgeError(f"{key}={value} must be in {_span(lo, hi, lo_open, hi_open)}{hint}")
        if lo_open:
            bound = "positive" if lo == 0 else f"> {_fmt(lo)}"
        elif isinstance(lo, int) and lo >= 1:
            bound = f"at least {_fmt(lo)}"
        else:
            bound = f">= {_fmt(lo)}"
        raise GanforgeError(f"{key}={value} must be {bound}{hint}")
    if hi is not None and (value >= hi if hi_open else value > hi):
        if lo is not None and hi - lo <= 1:
            raise GanforgeError(f"{key}={value} must be in {_span(lo, hi, lo_open, hi_open)}{hint}")
        bound = f"below {_fmt(hi)}" if hi_open else f"at most {_fmt(hi)}"
        raise GanforgeError(f"{key}={value} must be {bound}{hint}")


def _span(lo: float, hi: float, lo_open: bool, hi_open: bool) -> str:
    return f"{'(' if lo_open else '['}{_fmt(lo)}, {_fmt(hi)}{')' if hi_open else ']'}"


def _fmt(x: float) -> str:
    return f"{x:,}" if isinstance(x, int) else f"{x:g}"
