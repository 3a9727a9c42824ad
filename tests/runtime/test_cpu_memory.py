"""runtime.keep_cpu_memory: training steps stop page-faulting, the Trainer applies it on CPU only
when asked, and a C library without mallopt gets a one-line note."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from ganforge.config import load_config
from ganforge.runtime import cpu_memory
from ganforge.train import process as process_module
from ganforge.train.trainer import Trainer
from helpers import tiny_overrides

# A conv net's training steps in a fresh process: minor page faults per step after a warm-up.
FAULTS_PER_STEP = """
import resource, sys, torch
if sys.argv[1] == "keep":
    from ganforge.runtime.cpu_memory import keep_freed_memory
    assert keep_freed_memory() is None
torch.set_num_threads(1)
nn = torch.nn
net = nn.Sequential(nn.Conv2d(3, 64, 3, padding=1), nn.LeakyReLU(0.2),
                    nn.Conv2d(64, 64, 3, padding=1), nn.BatchNorm2d(64), nn.LeakyReLU(0.2))
x = torch.randn(16, 3, 32, 32)
for _ in range(6):
    net(x).sum().backward()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    net(x).sum().backward()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 10)
"""


def _faults_per_step(mode: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", FAULTS_PER_STEP, mode], capture_output=True, text=True, check=True
    )
    return float(out.stdout)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="needs Linux with glibc")
def test_kept_memory_stops_the_page_faults_of_each_step():
    # glibc's defaults give each 4 MiB activation fresh pages every step (about 1,400 faults per
    # step here); with the thresholds raised the heap keeps them (about 100-200).
    default, kept = _faults_per_step("default"), _faults_per_step("keep")
    assert default > 500, default
    assert kept < 0.4 * default, (default, kept)


def test_without_glibc_nothing_changes_and_a_note_says_why(monkeypatch):
    cpu_memory.keep_freed_memory.cache_clear()
    monkeypatch.setattr(cpu_memory.platform, "libc_ver", lambda: ("", ""))
    try:
        note = cpu_memory.keep_freed_memory()
    finally:
        cpu_memory.keep_freed_memory.cache_clear()
    assert note.startswith("runtime.keep_cpu_memory: needs Linux with glibc") and "\n" not in note


@pytest.mark.parametrize("keep", [True, False])
def test_trainer_applies_it_only_when_asked(tmp_path, tiny_data, monkeypatch, keep):
    calls = []
    monkeypatch.setattr(
        process_module, "keep_freed_memory", lambda: calls.append(1) or "allocator note"
    )
    ov = tiny_overrides(tmp_path, **{"runtime.keep_cpu_memory": keep, "runtime.device": "cpu"})
    t = Trainer(load_config("dcgan-fashion-mnist", ov), data=tiny_data)
    assert len(calls) == int(keep)
    assert ("allocator note" in t.notes) == keep
