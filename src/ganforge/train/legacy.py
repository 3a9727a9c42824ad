"""Reading checkpoints written by earlier ganforge versions: one upgrade step per change.

- Before the task plug-in interface (ganforge 0.1.0 at commit fe5563c), the Trainer kept the
  noise-to-image data order itself and stored it as a top-level ``sampler``; now every task keeps
  its own batching state in ``task``.
- Until the core was made family-neutral, the iteration count was stored as
  ``progress.g_steps`` (a GAN's generator steps); it is ``progress.iterations`` now.

``upgrade`` moves each to its place, so those checkpoints resume exactly
(tests/train/test_legacy.py resumes fixtures written by that version).
"""

from __future__ import annotations

from typing import Any


def upgrade(state: dict[str, Any]) -> dict[str, Any]:
    """The state of an older checkpoint in today's layout (a new dict; ``state`` is not changed)."""
    state = dict(state)
    sampler = state.pop("sampler", None)
    task = state.get("task")
    if isinstance(task, dict) and sampler is not None and "sampler" not in task:
        # The noise-to-image tasks' data order; image-to-image tasks already kept their own.
        state["task"] = {**task, "sampler": sampler}
    if isinstance(task, dict) and "scaler" in task and "scalers" not in state:
        state["scalers"] = task["scaler"]  # fp16 loss scales, now the Trainer's
    progress = state.get("progress")
    if isinstance(progress, dict) and "g_steps" in progress and "iterations" not in progress:
        progress = dict(progress)
        progress["iterations"] = progress.pop("g_steps")
        state["progress"] = progress
    return state
