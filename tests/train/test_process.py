"""train/process.py: setting up the process a run trains in."""

import pytest
import torch

from ganforge.config import load_config
from ganforge.errors import GanforgeError
from ganforge.train.process import start_process


def test_one_cpu_process_with_the_asked_threads_and_precision(tmp_path):
    threads = torch.get_num_threads()
    cfg = load_config(
        "toy-ring-mlp",
        {"out_dir": str(tmp_path), "runtime.threads": 1, "runtime.precision": "fp32"},
    )
    try:
        p = start_process(cfg, None)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(threads)
    assert (p.device.type, p.precision, p.launch.world_size) == ("cpu", "fp32", 1)
    assert p.shard.world_size == 1


def test_an_unwritable_out_dir_fails_before_anything_else(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cfg = load_config("toy-ring-mlp", {"out_dir": str(blocker / "runs")})
    with pytest.raises(GanforgeError, match="is not a folder"):
        start_process(cfg, None)
