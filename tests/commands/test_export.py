import json
from pathlib import Path

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


# --------------------------------------------------------------------------- image-to-image


@pytest.fixture(scope="module")
def i2i_runs(tmp_path_factory):
    from tiny_i2i import train_tiny_i2i

    root = tmp_path_factory.mktemp("i2i")
    return {task: train_tiny_i2i(root, task) for task in ("pix2pix", "cyclegan")}


def test_export_cyclegan_reverse_direction_in_each_format(i2i_runs, tmp_path, ganforge_cli):
    pytest.importorskip("onnxscript", reason="the torch.export-based ONNX exporter needs it")
    pytest.importorskip("onnxruntime")
    run = i2i_runs["cyclegan"]
    out = ganforge_cli("export", run, "--direction", "BtoA", "--out", tmp_path / "f.onnx")
    assert "cyclegan F (BtoA)" in out.err and "onnxruntime matches PyTorch" in out.err
    ganforge_cli("export", run, "--direction", "BtoA", "--out", tmp_path / "f.pt")
    ganforge_cli("export", run, "--out", tmp_path / "g.safetensors")  # the run's own: G, AtoB
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["f.onnx", "f.pt", "g.json", "g.safetensors"]
    info = json.loads((tmp_path / "g.json").read_text())
    assert (info["network"], info["direction"], info["size_multiple"]) == ("G", "AtoB", 4)


def test_export_i2i_bad_input(i2i_runs, dcgan_run, tmp_path, ganforge_cli):
    out = tmp_path / "g.pt"
    err = ganforge_cli("export", i2i_runs["pix2pix"], "--direction", "BtoA", "--out", out, code=2)
    assert "trained AtoB only" in err.err
    err = ganforge_cli("export", dcgan_run, "--direction", "BtoA", "--out", out, code=2)
    assert "--direction is for image-to-image runs" in err.err
    assert list(tmp_path.iterdir()) == []


def test_onnxruntime_failure_is_one_line_and_leaves_no_file(
    dcgan_run, tmp_path, ganforge_cli, monkeypatch
):
    pytest.importorskip("onnxruntime")
    from ganforge.explore import export as E

    def broken_export(model, out, opset=None):  # a file onnxruntime cannot load
        Path(out).write_bytes(b"not an onnx model")
        return Path(out)

    monkeypatch.setattr(E, "export_onnx", broken_export)
    err = ganforge_cli("export", dcgan_run, "--out", tmp_path / "g.onnx", code=2).err
    assert "onnxruntime could not run the exported file" in err and "nothing written" in err
    assert list(tmp_path.iterdir()) == []
