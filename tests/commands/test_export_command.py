import json

import pytest

from ganforge.explore.export import load_generator
from ganforge.runs import load_run


def test_export_each_format(dcgan_run, tmp_path, ganforge_cli):
    pytest.importorskip("onnxscript", reason="the torch.export-based ONNX exporter needs it")
    pytest.importorskip("onnxruntime")
    out = ganforge_cli("export", dcgan_run, "--format", "onnx", "--out", tmp_path / "g.onnx")
    assert "onnxruntime matches PyTorch" in out.err
    ganforge_cli("export", dcgan_run, "--out", tmp_path / "g.pt")  # format from the name
    ganforge_cli(
        "export", dcgan_run, "--format", "safetensors", "--out", tmp_path / "g.safetensors"
    )
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["g.json", "g.onnx", "g.pt", "g.safetensors"]
    assert json.loads((tmp_path / "g.json").read_text())["ema"] is True
    G, run = load_generator(tmp_path / "g.safetensors"), load_run(dcgan_run)
    assert all((a == b).all() for a, b in zip(G.state_dict().values(), run.G.state_dict().values()))


def test_export_bad_input(dcgan_run, tmp_path, ganforge_cli):
    cases = [
        (("--format", "onnx", "--out", tmp_path / "g.pt"), "should end in .onnx"),
        (("--out", tmp_path / "g.bin"), "give --format"),
        (("--out", tmp_path / "missing" / "g.onnx"), "does not exist"),
        (("--out", tmp_path / "g.pt", "--checkpoint", "ckpt-1.safetensors"), "not found"),
    ]
    for args, message in cases:
        assert message in ganforge_cli("export", dcgan_run, *args, code=2).err
    assert (
        "not a ganforge run"
        in ganforge_cli("export", tmp_path, "--out", tmp_path / "g.pt", code=2).err
    )
    assert list(tmp_path.iterdir()) == []
