"""Reading a network's weights out of a checkpoint state for inference, as untrusted input."""

from __future__ import annotations

from typing import Any

from torch import nn

from ganforge.errors import GanforgeError


def pick_weights(state: dict[str, Any], key: str, ema: bool) -> tuple[dict[str, Any], bool]:
    """(state dict of network ``key``, whether it is the EMA copy): the EMA copy when asked and
    kept, else the trained weights."""
    kept = state.get("ema", {})
    if ema and isinstance(kept, dict) and isinstance(kept.get(key), dict):
        return kept[key], True
    nets = state.get("nets", {})
    weights = nets.get(key) if isinstance(nets, dict) else None
    if not isinstance(weights, dict):
        raise GanforgeError(f"the checkpoint holds no weights of network {key}")
    return weights, False


def load_weights(module: nn.Module, weights: dict[str, Any], what: str) -> None:
    """``module.load_state_dict(weights)``, with a mismatch as one line instead of a traceback."""
    try:
        module.load_state_dict(weights)
    except (RuntimeError, KeyError, TypeError, ValueError, AttributeError) as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        raise GanforgeError(
            f"the checkpoint's {what} does not match the model its config describes "
            f"({first}); was the config edited after training?"
        ) from None
