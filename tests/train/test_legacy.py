"""Checkpoints written before the task plug-in interface still resume, and continue exactly.

tests/fixtures/legacy/ holds a tiny DCGAN and a tiny CycleGAN run written by ganforge at commit
fe5563c (tests/fixtures/make_legacy_runs.py), each stopped at its first checkpoint, with the
tensors that version's own continuation reached. Resuming them with today's code must reach the
same tensors: bit for bit on a CPU with the instruction sets they were made on (the same kernels),
and within float rounding elsewhere.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
import torch

from ganforge.train import checkpoint as ckpt
from ganforge.train.legacy import upgrade
from ganforge.train.trainer import Trainer

FIXTURES = Path(__file__).parents[1] / "fixtures"
EXPECTED = json.loads((FIXTURES / "legacy" / "expected.json").read_text())
sys.path.insert(0, str(FIXTURES))
from make_legacy_runs import cpu_isa, tensor_hashes, tensor_stats  # noqa: E402


@pytest.mark.parametrize("name", ["dcgan", "cyclegan"])
def test_a_legacy_checkpoint_resumes_to_the_same_tensors(name, tmp_path):
    expected = EXPECTED[name]
    run = shutil.copytree(FIXTURES / "legacy" / name, tmp_path / name)
    trainer = Trainer.resume(run, [f"train.images={expected['resume_to']}"])
    assert trainer.images_seen == expected["from"]
    trainer.fit()
    final = ckpt.list_checkpoints(run / "checkpoints")[-1]
    assert final.name == ckpt.checkpoint_name(expected["resume_to"])
    stats, hashes = tensor_stats(final), tensor_hashes(final)
    assert stats.keys() == expected["stats"].keys()
    # The continuation as fe5563c computed it, on a CPU of the same instruction sets (the same
    # kernels): the fixtures' own, or one recorded since (expected.json "also_on").
    same = [
        e[name]
        for e in [{"made_on": EXPECTED["made_on"], name: expected}, *EXPECTED.get("also_on", [])]
        if e["made_on"]["isa"] == cpu_isa() and e["made_on"]["torch"] == torch.__version__
    ]
    if same:
        assert hashes == same[0]["hashes"]  # the same kernels: the same bits
        return
    # Elsewhere the kernels round differently and the GAN updates carry that on: DCGAN within
    # 1e-4, CycleGAN (instance norm: biases before it get pure rounding noise as gradient) by
    # a few per cent. ``make_legacy_runs.py --record-this-cpu`` records this CPU's continuation
    # (by fe5563c's code) for a bit-exact check.
    rel, near = (1e-4, 1e-6) if name == "dcgan" else (5e-2, 2e-3)
    for key, (_, norm) in expected["stats"].items():
        assert stats[key][1] == pytest.approx(norm, rel=rel, abs=near), key


def test_upgrade_moves_the_trainers_sampler_into_the_task():
    old = {"sampler": {"epoch": 1}, "task": {"d_steps": 3}, "nets": {}}
    new = upgrade(old)
    assert new["task"] == {"d_steps": 3, "sampler": {"epoch": 1}} and "sampler" not in new
    assert old["task"] == {"d_steps": 3}  # the input is left as it was
    # image-to-image tasks kept their own sampler: the Trainer's unused one is dropped
    i2i = upgrade({"sampler": {"epoch": 0}, "task": {"sampler": {"epoch": 5}}})
    assert i2i["task"]["sampler"] == {"epoch": 5} and "sampler" not in i2i
    scaled = upgrade({"task": {"d_steps": 0, "scaler": {"D": {"scale": 2.0}}}})
    assert scaled["scalers"] == {"D": {"scale": 2.0}}
