"""The memory estimate: counted on the meta device, equal to the real networks, and a model too
large for the memory refused in one line naming its keys, before anything is allocated."""

from __future__ import annotations

import pytest
import torch

from ganforge.cli import main
from ganforge.config import load_config
from ganforge.errors import GanforgeError
from ganforge.tasks import registry
from ganforge.tasks.registry import check_config
from ganforge.train import memory
from ganforge.train import trainer as trainer_module
from ganforge.train.trainer import Trainer
from helpers import TOY_TINY, random_images, tiny_overrides

GiB = 1 << 30


def _dcgan(tmp_path, **extra):
    cfg = load_config("dcgan-fashion-mnist", tiny_overrides(tmp_path, **extra))
    return cfg, check_config(cfg)


def test_meta_build_counts_what_the_real_build_holds(tmp_path):
    cfg, cls = _dcgan(tmp_path)
    data = random_images()
    meta = memory.build_on_meta(cls, cfg, data, "fp32")
    assert meta is not None
    assert all(p.is_meta for m in meta.nets.values() for p in m.parameters())
    real = cls(cfg, data, torch.device("cpu"), "fp32")
    assert memory.estimate(meta, ema=True) == memory.estimate(real, ema=True)


def test_the_estimate_adds_up(tmp_path):
    """weights + grads + Adam's 2 moments + the EMA copy of G, and the checkpoint's copy of all
    but the gradients: 4 bytes each."""
    cfg, cls = _dcgan(tmp_path)
    task = memory.build_on_meta(cls, cfg, random_images(), "fp32")
    est = memory.estimate(task, ema=True)
    n_g, n_d = est.parameters["G"], est.parameters["D"]
    buffers = {
        k: sum(b.numel() * b.element_size() for b in m.buffers()) for k, m in task.nets.items()
    }
    weights = 4 * (n_g + n_d) + buffers["G"] + buffers["D"]
    assert est.weights == weights and est.gradients == 4 * (n_g + n_d)
    assert est.optimizer == 2 * est.gradients and est.ema == 4 * n_g + buffers["G"]
    assert est.checkpoint == weights + est.ema + est.optimizer
    assert memory.estimate(task, ema=False).ema == 0


def test_a_model_too_large_is_refused_naming_its_keys(tmp_path):
    cfg, cls = _dcgan(tmp_path, **{"model.z_dim": 4096, "model.g_width": 4096})
    with pytest.raises(GanforgeError) as e:
        memory.check_memory(cls, cfg, random_images(), torch.device("cpu"), "fp32", host=8 * GiB)
    message = str(e.value)
    assert "\n" not in message, message
    assert "needs about" in message and "8.0 GiB is available" in message, message
    assert "lower model.g_width=4096 or model.z_dim=4096" in message, message
    assert "GANFORGE_MEMORY_CHECK=0" in message


def test_the_discriminators_keys_are_named_for_a_large_discriminator(tmp_path):
    cfg, cls = _dcgan(tmp_path, **{"model.d_width": 8192})
    with pytest.raises(GanforgeError, match=r"lower model\.d_width=8192 \(") as e:
        memory.check_memory(cls, cfg, random_images(), torch.device("cpu"), "fp32", host=GiB)
    assert "z_dim" not in str(e.value)


def test_within_the_memory_passes_and_reports_the_estimate(tmp_path):
    cfg, cls = _dcgan(tmp_path)
    est = memory.check_memory(cls, cfg, random_images(), torch.device("cpu"), "fp32", host=GiB)
    assert est is not None and 0 < est.total < GiB / 10
    # torchrun on the CPU: every process holds its copy in the same memory
    tight = int(est.total * 3 / memory.SAFE_FRACTION)
    memory.check_memory(cls, cfg, random_images(), torch.device("cpu"), "fp32", 3, host=tight)
    with pytest.raises(GanforgeError, match="available to 4 processes"):
        memory.check_memory(cls, cfg, random_images(), torch.device("cpu"), "fp32", 4, host=tight)


def test_the_switch_and_unknown_memory_skip_the_check(tmp_path, monkeypatch):
    cfg, cls = _dcgan(tmp_path, **{"model.g_width": 4096})
    data = random_images()
    monkeypatch.setenv(memory.ENV_SWITCH, "0")
    assert memory.check_memory(cls, cfg, data, torch.device("cpu"), "fp32", host=GiB) is None
    monkeypatch.delenv(memory.ENV_SWITCH)
    monkeypatch.setattr(memory, "host_available", lambda: None)  # e.g. no /proc/meminfo
    assert memory.check_memory(cls, cfg, data, torch.device("cpu"), "fp32") is not None


def test_a_task_that_cannot_be_built_on_meta_is_not_estimated(tmp_path):
    cfg, cls = _dcgan(tmp_path)

    class NeedsRealTensors(cls):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            next(self.G.parameters()).sum().item()  # reads a value: impossible on meta

    data = random_images()
    assert memory.build_on_meta(NeedsRealTensors, cfg, data, "fp32") is None
    assert memory.check_memory(NeedsRealTensors, cfg, data, torch.device("cpu"), "fp32") is None


def test_gpu_estimate_compares_the_device_and_the_host_parts(tmp_path):
    cfg, cls = _dcgan(tmp_path)
    data = random_images()
    est = memory.check_memory(cls, cfg, data, torch.device("cuda"), "fp32", host=GiB, on_device=GiB)
    need = est.resident + data.images.numel()
    with pytest.raises(GanforgeError, match="free on cuda"):
        memory.check_memory(cls, cfg, data, torch.device("cuda"), "fp32", host=GiB, on_device=need)
    with pytest.raises(GanforgeError, match="available on the host"):
        memory.check_memory(
            cls, cfg, data, torch.device("cuda"), "fp32", host=2 * est.checkpoint, on_device=GiB
        )


def test_host_memory_is_meminfo_or_the_containers_lower_limit(tmp_path, monkeypatch):
    (tmp_path / "meminfo").write_text("MemTotal: 900 kB\nMemAvailable:     400 kB\n")
    monkeypatch.setattr(memory, "MEMINFO", str(tmp_path / "meminfo"))
    monkeypatch.setattr(memory, "CGROUP", str(tmp_path / "cgroup"))
    assert memory.host_available() == 400 * 1024
    cg = tmp_path / "cgroup"
    cg.mkdir()
    (cg / "memory.max").write_text("300000\n")  # cgroup v2: limit, usage, page cache
    (cg / "memory.current").write_text("200000\n")
    (cg / "memory.stat").write_text("anon 150000\ninactive_file 50000\n")
    assert memory.host_available() == 300000 - (200000 - 50000)
    (cg / "memory.max").write_text("max\n")  # no limit: meminfo's figure
    assert memory.host_available() == 400 * 1024
    monkeypatch.setattr(memory, "MEMINFO", str(tmp_path / "none"))
    assert memory.host_available() is None


def test_the_trainer_refuses_before_building_anything(tmp_path, monkeypatch):
    built = []
    monkeypatch.setattr(memory, "host_available", lambda: 2 * GiB)
    real_build = registry.build_task
    monkeypatch.setattr(trainer_module, "build_task", lambda *a: built.append(1) or real_build(*a))
    cfg, _ = _dcgan(tmp_path, **{"model.z_dim": 8192, "model.g_width": 8192})
    with pytest.raises(GanforgeError, match="lower model.g_width=8192"):
        Trainer(cfg, data=random_images())
    assert built == [] and not (tmp_path / "runs").exists()


def test_the_command_line_refuses_a_real_oversized_model_in_one_line(tmp_path, capsys):
    """No mocks: a toy MLP of ten 16384-wide layers asks for about 90 GiB; without the estimate
    its layers would be allocated one by one until the kernel's OOM killer ends the process."""
    args = [f"--set={k}={v}" for k, v in TOY_TINY.items()]
    big = [16384, 16384, 16384, 16384, 16384, 16384, 16384, 16384, 16384, 16384]
    argv = ["train", "--preset=toy-ring-mlp", *args, f"--set=model.g_hidden={big}"]
    argv += ["--set=model.z_dim=16384", f"--out={tmp_path / 'runs'}"]
    capsys.readouterr()
    free = memory.host_available()
    if free is None or free > 100 * GiB:
        pytest.skip("needs a machine with /proc/meminfo and under 100 GiB available")
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ganforge: error: this model needs about"), err
    assert "model.g_hidden=" in err[0]
    assert not (tmp_path / "runs").exists()
