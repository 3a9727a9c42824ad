"""Failures of a run that are the machine's, not ganforge's: one line instead of a traceback.

A full disk, a read-only or vanished output folder, a permission error (``errors.environment_error``)
or running out of memory at a step are not bugs, and the run can go on once the cause is fixed:
the message says where the run stopped, which checkpoint is its last good one (checkpoints are
written whole or not at all, train/checkpoint.py) and how to continue. Anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ganforge.errors import GanforgeError, environment_error


def out_of_memory(e: BaseException) -> bool:
    """An allocation the device or the host refused (CUDA's OutOfMemoryError, or the CPU
    allocator's "can't allocate memory"); other RuntimeErrors are bugs."""
    if isinstance(e, torch.OutOfMemoryError):
        return True
    return isinstance(e, RuntimeError) and "can't allocate memory" in str(e)


def run_failure(
    e: BaseException, run_dir: Path, images_seen: int, last: Path | None
) -> GanforgeError | None:
    """The one-line error of ``e`` raised while training ``run_dir``, or None when ``e`` is not
    an environment failure (it is then re-raised as it is)."""
    if out_of_memory(e):
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        why = f"out of memory ({first}); lower train.batch_size or the network widths"
    elif isinstance(e, OSError) and (env := environment_error(e)) is not None:
        why = str(env)
    else:
        return None
    kept = f"the last good checkpoint is {last.name}" if last else "no checkpoint was written"
    again = f"continue with: ganforge train --resume {run_dir}" if last else "start it again"
    return GanforgeError(f"training stopped at {images_seen:,} images: {why}; {kept}; {again}")
