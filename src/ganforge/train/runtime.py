"""Device and precision resolution: what ``runtime.device=auto`` and ``precision=auto`` mean here."""

from __future__ import annotations

import functools
from pathlib import Path

import torch

from ganforge.errors import GanforgeError


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise GanforgeError(
            f"runtime.device={name!r} is not a device; use auto, cpu or cuda"
        ) from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise GanforgeError(
            f"runtime.device={name} but no CUDA device is available; use cpu or auto"
        )
    return dev


@functools.cache
def cpu_has_native_bf16() -> bool:
    """True on x86 CPUs with AVX512-BF16 or AMX-BF16, where bf16 convolutions run in hardware."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_precision(name: str, device: torch.device) -> str:
    """auto -> bf16 autocast where the device computes bf16 natively, else fp32."""
    if name != "auto":
        return name
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    return "bf16" if cpu_has_native_bf16() else "fp32"
