import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.explore import export as E
from ganforge.runs import load_run


@pytest.mark.parametrize("which", ["dcgan_run", "cgan_run"])
def test_onnx_matches_pytorch_at_two_batch_sizes(which, request, tmp_path):
    onnx = pytest.importorskip("onnx")
    pytest.importorskip("onnxscript", reason="the torch.export-based ONNX exporter needs it")
    ort = pytest.importorskip("onnxruntime")
    run = load_run(request.getfixturevalue(which))
    out = E.export_onnx(run, tmp_path / "g.onnx")
    assert [p.name for p in tmp_path.iterdir()] == ["g.onnx"]  # one file, no temporaries

    model = onnx.load(str(out))
    meta = json.loads({p.key: p.value for p in model.metadata_props}["ganforge"])
    assert meta["z_dim"] == run.z_dim and meta["num_classes"] == run.num_classes
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    assert names == (["z", "y"] if run.num_classes else ["z"])
    assert session.get_inputs()[0].shape[0] == "batch"  # dynamic, named
    assert [o.name for o in session.get_outputs()] == ["image"]
    for n in (1, 5):
        z = torch.randn(n, run.z_dim)
        y = torch.arange(n) % 10 if run.num_classes else None
        feed = {"z": z.numpy()} | ({"y": y.numpy()} if y is not None else {})
        (got,) = session.run(None, feed)
        want = run.G(z, y).numpy()
        assert got.shape == (n, 1, 32, 32)
        np.testing.assert_allclose(got, want, atol=1e-4, rtol=0)
    assert E.onnx_max_difference(out, run) < 1e-4


def test_torchscript_loads_in_a_fresh_process_without_ganforge(dcgan_run, tmp_path):
    run = load_run(dcgan_run)
    out = E.export_torchscript(run, tmp_path / "g.pt")
    z = torch.randn(3, run.z_dim)
    np.save(tmp_path / "z.npy", z.numpy())
    script = f"""
import json, sys, warnings
warnings.simplefilter("ignore")
import numpy as np, torch
extra = {{"ganforge.json": ""}}
m = torch.jit.load({str(out)!r}, _extra_files=extra)
z = torch.from_numpy(np.load({str(tmp_path / "z.npy")!r}))
np.save({str(tmp_path / "out.npy")!r}, m(z).detach().numpy())
assert not [k for k in sys.modules if k.startswith("ganforge")], "ganforge was imported"
print(json.loads(extra["ganforge.json"])["z_dim"])
"""
    r = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(run.z_dim)
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), run.G(z).numpy(), atol=1e-5)


def test_safetensors_export_rebuilds_the_same_generator(cgan_run, tmp_path):
    run = load_run(cgan_run)
    out = E.export_safetensors(run, tmp_path / "g.safetensors")
    info = json.loads((tmp_path / "g.json").read_text())
    assert info["format"] == E.FORMAT and info["inputs"]["y"]["classes"] == 10
    G = E.load_generator(out)
    z, y = torch.randn(4, run.z_dim), torch.tensor([0, 3, 6, 9])
    assert torch.equal(G(z, y), run.G(z, y))
    with pytest.raises(GanforgeError, match="not a generator exported"):
        E.load_generator(run.checkpoint)  # a training checkpoint is not an export


def test_format_comes_from_the_flag_or_the_name():
    assert E.format_for("g.onnx", None) == "onnx"
    assert E.format_for("g.pt", None) == "torchscript"
    assert E.format_for("g.safetensors", "safetensors") == "safetensors"
    with pytest.raises(GanforgeError, match="should end in .onnx"):
        E.format_for("g.pt", "onnx")
    with pytest.raises(GanforgeError, match="give --format"):
        E.format_for("g.bin", None)
