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


# --------------------------------------------------------------------------- image-to-image


@pytest.fixture(scope="module")
def i2i_runs(tmp_path_factory):
    from tiny_i2i import train_tiny_i2i

    root = tmp_path_factory.mktemp("i2i")
    return {task: train_tiny_i2i(root, task) for task in ("pix2pix", "cyclegan", "srgan")}


def _sizes(tr):
    """Two (height, width) pairs the exported graph never saw: valid multiples, not square."""
    m, lo = tr.multiple, tr.net_min_size
    return [(lo, lo + 2 * m), (2 * lo, lo)]


@pytest.mark.parametrize(
    "task,direction", [("pix2pix", "AtoB"), ("cyclegan", "BtoA"), ("srgan", "AtoB")]
)
def test_i2i_onnx_matches_pytorch_at_other_batches_and_sizes(task, direction, i2i_runs, tmp_path):
    onnx = pytest.importorskip("onnx")
    pytest.importorskip("onnxscript", reason="the torch.export-based ONNX exporter needs it")
    ort = pytest.importorskip("onnxruntime")
    run = load_run(i2i_runs[task], direction=direction)
    tr = run.model
    out = E.export_onnx(run, tmp_path / "g.onnx")
    assert [p.name for p in tmp_path.iterdir()] == ["g.onnx"]
    meta = json.loads({p.key: p.value for p in onnx.load(str(out)).metadata_props}["ganforge"])
    assert (meta["task"], meta["direction"], meta["channels"]) == (task, direction, 1)
    assert (meta["size_multiple"], meta["scale"]) == (tr.multiple, tr.scale)
    assert meta["network"] == ("F" if task == "cyclegan" else "G")
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    (inp,), (outp,) = session.get_inputs(), session.get_outputs()
    assert (inp.name, outp.name) == ("input", "output")
    assert inp.shape[0] == "batch" and all(isinstance(d, str) for d in inp.shape[2:])  # dynamic
    for n, (h, w) in zip((1, 4), _sizes(tr)):
        x = torch.rand(n, 1, h, w) * 2 - 1
        (got,) = session.run(None, {"input": x.numpy()})
        want = tr.net(x).numpy()
        assert got.shape == (n, 1, tr.scale * h, tr.scale * w)
        np.testing.assert_allclose(got, want, atol=1e-4, rtol=0)
    assert E.onnx_max_difference(out, run) < 1e-4
    if task == "cyclegan":  # BtoA really is F, not G
        G = load_run(i2i_runs[task], direction="AtoB").model.net
        x = torch.rand(1, 1, 8, 8) * 2 - 1
        assert not torch.allclose(G(x), tr.net(x))


def test_i2i_torchscript_loads_in_a_fresh_process_without_ganforge(i2i_runs, tmp_path):
    want = {}
    for task, run in i2i_runs.items():
        opened = load_run(run)
        tr = opened.model
        E.export_torchscript(opened, tmp_path / f"{task}.pt")
        (h, w) = _sizes(tr)[1]
        x = torch.rand(3, 1, h, w) * 2 - 1
        np.save(tmp_path / f"{task}-in.npy", x.numpy())
        want[task] = tr.net(x).numpy()
    script = f"""
import json, sys, warnings
warnings.simplefilter("ignore")
import numpy as np, torch
for task in {list(want)!r}:
    extra = {{"ganforge.json": ""}}
    m = torch.jit.load(f"{{task}}.pt", _extra_files=extra)
    x = torch.from_numpy(np.load(f"{{task}}-in.npy"))
    np.save(f"{{task}}-out.npy", m(x).detach().numpy())
    info = json.loads(extra["ganforge.json"])
    print(task, info["scale"], info["size_multiple"])
assert not [k for k in sys.modules if k.startswith("ganforge")], "ganforge was imported"
"""
    r = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=180
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["pix2pix", "1", "8", "cyclegan", "1", "4", "srgan", "4", "1"]
    for task, expected in want.items():
        np.testing.assert_allclose(np.load(tmp_path / f"{task}-out.npy"), expected, atol=1e-5)


def test_i2i_safetensors_rebuilds_each_direction(i2i_runs, tmp_path):
    for direction in ("AtoB", "BtoA"):
        run = load_run(i2i_runs["cyclegan"], direction=direction)
        tr = run.model
        out = E.export_safetensors(run, tmp_path / f"{direction}.safetensors")
        info = json.loads((tmp_path / f"{direction}.json").read_text())
        assert info["direction"] == direction and info["size_multiple"] == 4
        assert info["channels"] == 1 and info["scale"] == 1 and info["min_size"] == 8
        x = torch.rand(2, 1, 12, 8) * 2 - 1
        assert torch.equal(E.load_generator(out)(x), tr.net(x))
    sr = load_run(i2i_runs["srgan"])
    E.export_safetensors(sr, tmp_path / "sr.safetensors")
    assert json.loads((tmp_path / "sr.json").read_text())["output"]["shape"][2] == "4*height"


def test_safetensors_and_its_json_are_published_together(cgan_run, tmp_path, monkeypatch):
    import ganforge.atomic

    run = load_run(cgan_run)
    E.export_safetensors(run, tmp_path / "g.safetensors")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert sorted(before) == ["g.json", "g.safetensors"]
    publish = ganforge.atomic.publish

    def failing_weights(tmp, path):  # the JSON goes into place, then the weights' rename fails
        if str(path).endswith(".safetensors"):
            raise OSError(28, "No space left on device")
        publish(tmp, path)

    monkeypatch.setattr(ganforge.atomic, "publish", failing_weights)
    for name in ("g", "new"):
        with pytest.raises(OSError):
            E.export_safetensors(run, tmp_path / f"{name}.safetensors")
    # the older pair is untouched; the new export left nothing (no JSON without weights)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


# --------------------------------------------------------------------------- inpainting


@pytest.fixture(scope="module")
def inpaint_run(tmp_path_factory):
    from tiny_inpaint import train_tiny_inpaint

    return train_tiny_inpaint(tmp_path_factory.mktemp("inpaint"))


def _image_and_mask(n, h, w, seed=0):
    g = torch.Generator().manual_seed(seed)
    image = torch.rand(n, 1, h, w, generator=g) * 2 - 1
    mask = (torch.rand(n, 1, h, w, generator=g) < 0.4).float()
    return image, mask


def test_inpaint_onnx_takes_image_and_mask_at_any_multiple(inpaint_run, tmp_path):
    onnx = pytest.importorskip("onnx")
    pytest.importorskip("onnxscript", reason="the torch.export-based ONNX exporter needs it")
    ort = pytest.importorskip("onnxruntime")
    run = load_run(inpaint_run)
    model = run.model
    out = E.export_onnx(run, tmp_path / "g.onnx")
    assert [p.name for p in tmp_path.iterdir()] == ["g.onnx"]
    meta = json.loads({p.key: p.value for p in onnx.load(str(out)).metadata_props}["ganforge"])
    assert (meta["task"], meta["size_multiple"], meta["channels"]) == ("inpaint", 4, 1)
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["image", "mask"]
    assert [o.name for o in session.get_outputs()] == ["output"]
    for i in session.get_inputs():  # batch, height and width dynamic
        assert all(isinstance(d, str) for d in (i.shape[0], *i.shape[2:])), i.shape
    for n, (h, w) in zip((1, 3), [(8, 20), (24, 12)]):
        image, mask = _image_and_mask(n, h, w, seed=h)
        (got,) = session.run(None, {"image": image.numpy(), "mask": mask.numpy()})
        want = torch.where(mask.bool(), model.net(image, mask), image).numpy()
        assert got.shape == (n, 1, h, w)
        np.testing.assert_allclose(got, want, atol=1e-4, rtol=0)
        known = ~mask.bool().numpy()
        assert np.array_equal(got[known], image.numpy()[known])  # passed through exactly
    assert E.onnx_max_difference(out, run) < 1e-4


def test_inpaint_torchscript_and_safetensors_rebuild_the_generator(inpaint_run, tmp_path):
    run = load_run(inpaint_run)
    net = run.model.net
    image, mask = _image_and_mask(2, 12, 16)
    want = torch.where(mask.bool(), net(image, mask), image)
    ts = E.export_torchscript(run, tmp_path / "g.pt")
    traced = torch.jit.load(str(ts))
    np.testing.assert_allclose(traced(image, mask).numpy(), want.numpy(), atol=1e-5)
    st = E.export_safetensors(run, tmp_path / "g.safetensors")
    info = json.loads((tmp_path / "g.json").read_text())
    assert list(info["inputs"]) == ["image", "mask"] and info["min_size"] == 8
    assert torch.equal(E.load_generator(st)(image, mask), net(image, mask))
