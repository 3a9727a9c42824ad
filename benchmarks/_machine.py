"""What every benchmark records of the machine it ran on: figures differ between CPUs, and bf16
is fast only where the CPU computes it natively (AVX512-BF16 or AMX)."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any


def cpu_info() -> dict[str, Any]:
    """{"cpu": model name, "cpu_bf16_native": bool, "cpu_count": int}; Linux's /proc/cpuinfo,
    else what ``platform`` says."""
    model, flags = platform.processor() or platform.machine(), set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and ":" in line and model in ("", platform.machine()):
                model = line.split(":", 1)[1].strip()
            if line.startswith("flags") and ":" in line:
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    bf16 = bool({"avx512_bf16", "amx_bf16"} & flags)
    return {"cpu": model, "cpu_bf16_native": bf16, "cpu_count": os.cpu_count()}


def cpu_name() -> str:
    """The CPU's model name."""
    return cpu_info()["cpu"]
