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
    return choose_precision(name, device)[0]


def choose_precision(name: str, device: torch.device) -> tuple[str, str | None]:
    """(precision to run, a one-line note when the request cannot be met here, else None).

    - auto: bf16 where the device computes bf16 natively (Ampere+ GPUs, CPUs with AVX512-BF16/AMX),
      else fp32;
    - fp16: autocast to float16 with a GradScaler (Micikevicius et al. 2018, "Mixed Precision
      Training"): CUDA only; elsewhere bf16 (native) or fp32;
    - bf16 on a GPU without bf16 (before Ampere): fp32, since emulated bf16 is slower than fp32.
    """
    native_bf16 = (
        # Emulated bf16 (pre-Ampere) runs but is slower than fp32: it does not count.
        torch.cuda.is_bf16_supported(including_emulation=False)
        if device.type == "cuda"
        else cpu_has_native_bf16()
    )
    if name == "auto":
        return ("bf16" if native_bf16 else "fp32"), None
    if name == "fp16" and device.type != "cuda":
        use = "bf16" if native_bf16 else "fp32"
        return use, f"runtime.precision=fp16 needs CUDA (a GradScaler for float16): using {use}"
    if name == "bf16" and device.type == "cuda" and not native_bf16:
        return "fp32", "runtime.precision=bf16: this GPU has no bf16 units; using fp32 (try fp16)"
    return name, None
