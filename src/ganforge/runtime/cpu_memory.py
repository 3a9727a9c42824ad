"""Keep freed CPU memory in the process (``runtime.keep_cpu_memory``), so training steps stop
page-faulting.

PyTorch's CPU tensors come from the C library's ``malloc``. glibc serves blocks above its mmap
threshold (128 KiB to start, raised adaptively) with fresh ``mmap`` pages and hands the pages back
on ``free``, and it returns the top of the heap to the OS once more than the trim threshold is free.
A training step allocates and frees the same activations every time, so each step touches new pages:
on our 2-core machine a DCGAN-32 step at batch 64 took about 10,000 minor page faults, and its
pointwise ops (batch norm, LeakyReLU: memory-bound) ran 20-40x slower than on warm memory. Raising
both thresholds with ``mallopt`` keeps those pages in the heap and the faults drop to near zero (measured
with ``getrusage``; ``benchmarks/speed.py`` records the effect on img/s).

The setting is process-wide and stays after training, as a preloaded jemalloc or tcmalloc (the
usual advice, e.g. PyTorch's CPU performance tuning guide) would. The price is that the process
keeps its peak heap instead of shrinking after a large free. Only glibc has ``mallopt``; elsewhere
(musl, macOS, Windows) nothing changes and the caller gets a one-line note.
"""

from __future__ import annotations

import ctypes
import functools
import platform

# mallopt parameters, from glibc's malloc.h
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3

# glibc's own ceiling for its adaptive threshold (DEFAULT_MMAP_THRESHOLD_MAX on 64-bit): blocks
# larger than that keep using mmap, where the fault cost is small next to the compute on them.
MMAP_THRESHOLD = 32 << 20
# Free memory at the top of the heap is given back only beyond this; 1 GiB covers the activations of
# the batch sizes people train with on CPU.
TRIM_THRESHOLD = 1 << 30


@functools.cache
def keep_freed_memory() -> str | None:
    """Raise glibc's mmap and trim thresholds once per process. Returns None when applied, else a
    one-line note saying why nothing changed."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return (
            f"runtime.keep_cpu_memory: needs Linux with glibc, not {platform.system()}; "
            "allocator left as is"
        )
    try:
        libc = ctypes.CDLL(None)
        ok = libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) and libc.mallopt(
            M_TRIM_THRESHOLD, TRIM_THRESHOLD
        )
    except (OSError, AttributeError) as e:
        return f"runtime.keep_cpu_memory: mallopt is not available ({e}); allocator left as is"
    if not ok:
        return "runtime.keep_cpu_memory: glibc refused the mallopt thresholds; allocator left as is"
    return None
