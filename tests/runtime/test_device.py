"""Device and precision resolution: precision choices and their fallbacks."""

from __future__ import annotations

import torch

from ganforge.config import load_config
from ganforge.runtime import device as runtime
from ganforge.train.trainer import Trainer
from helpers import tiny_overrides

CPU = torch.device("cpu")


# --------------------------------------------------------------------------- precision


def test_precision_choices_and_their_notes(monkeypatch):
    assert runtime.choose_precision("fp32", CPU) == ("fp32", None)
    assert runtime.choose_precision("bf16", CPU) == ("bf16", None)  # emulated where not native
    monkeypatch.setattr(runtime, "cpu_has_native_bf16", lambda: True)
    assert runtime.choose_precision("auto", CPU) == ("bf16", None)
    use, note = runtime.choose_precision("fp16", CPU)
    assert use == "bf16" and "fp16 needs CUDA" in note and "\n" not in note
    monkeypatch.setattr(runtime, "cpu_has_native_bf16", lambda: False)
    assert runtime.choose_precision("auto", CPU) == ("fp32", None)
    assert runtime.choose_precision("fp16", CPU)[0] == "fp32"
    # A GPU before Ampere: bf16 would be emulated, so fp32 with a note pointing to fp16.
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: False)
    cuda = torch.device("cuda", 0)
    use, note = runtime.choose_precision("bf16", cuda)
    assert use == "fp32" and "try fp16" in note
    assert runtime.choose_precision("fp16", cuda) == ("fp16", None)


def test_fp16_on_cpu_trains_with_a_note(tmp_path, tiny_data):
    cfg = load_config(
        "dcgan-fashion-mnist", tiny_overrides(tmp_path, **{"runtime.precision": "fp16"})
    )
    t = Trainer(cfg, data=tiny_data)
    assert t.precision in ("bf16", "fp32") and any("fp16 needs CUDA" in n for n in t.notes)
