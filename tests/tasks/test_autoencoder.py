"""tasks/autoencoder.py: the autoencoder family trained by the one Trainer, through the CLI: run
folder, metrics and grids, bit-identical resume, eval, export, report, and the config refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from ganforge.cli import main
from ganforge.config import load_config
from ganforge.data.dataset import ImageData
from ganforge.errors import GanforgeError
from ganforge.explore.export import load_generator
from ganforge.runs import load_run
from ganforge.tasks import check_config
from ganforge.tasks.autoencoder import AutoencoderTask, build_autoencoder
from ganforge.train import checkpoint as ckpt
from ganforge.train.trainer import Trainer
from helpers import one_iteration, random_images, tiny_overrides

# The embedded test split (no system copy needed), 512 images, small codes, fp32 for exactness.
TINY = [
    "--preset=dcgan-ae-32",
    "--set=data.split=test",
    "--set=data.max_images=512",
    "--set=autoencoder.code=64",
    "--set=train.batch_size=32",
    "--set=train.log_every=512",
    "--set=train.sample_every=1024",
    "--set=train.checkpoint_every=1024",
    "--set=train.grid_size=8",
    "--set=train.loggers=[]",
    "--set=runtime.precision=fp32",
    "--set=runtime.threads=1",
    "--no-progress",
]


def _train(out, images: int, name: str, *extra: str):
    argv = [
        "train",
        *TINY,
        *extra,
        f"--set=train.images={images}",
        f"--out={out}",
        f"--name={name}",
    ]
    assert main(argv) == 0
    (run,) = [p for p in out.iterdir() if p.name.endswith(name)]
    return run


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("ae")
    straight = _train(out, 2048, "straight")
    half = _train(out, 1024, "half")
    assert main(["train", "--resume", str(half), "--set=train.images=2048", "--no-progress"]) == 0
    return {"straight": straight, "resumed": half}


def _tensors(run) -> dict[str, torch.Tensor]:
    state = ckpt.load(ckpt.list_checkpoints(run / "checkpoints")[-1])
    flat = {f"nets.{k}": v for k, v in state["nets"]["autoencoder"].items()}
    for pid, st in state["optim"]["AE"]["state"].items():
        flat.update({f"optim.{pid}.{k}": v for k, v in st.items()})
    return flat


def test_a_run_has_its_folder_columns_and_grids(runs):
    run = runs["straight"]
    header, *rows = (run / "metrics.csv").read_text().splitlines()
    assert header.split(",") == [
        "images",
        "iterations",
        "mse",
        "lr_ae",
        "img_per_s",
        "wall_s",
        "psnr",
        "code_on",
        "ae_grad_norm",
    ]
    mse = [float(r.split(",")[2]) for r in rows]
    assert len(mse) == 4 and mse[-1] < mse[0]  # it learns
    on = [float(r.split(",")[-2]) for r in rows]
    assert all(0 < v < 1 for v in on)  # code units on for some images only: a usable hash
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "finished" and info["report"] == "report.html"
    assert (run / "losses.png").is_file() and (run / "data_report.json").is_file()
    from PIL import Image

    # 8 examples (train.grid_size), 4 a row, input | noisy | reconstruction: 2 rows of 12 tiles
    grid = Image.open(run / "samples" / "fakes-000000002048.png")
    tile = 32 + 2  # make_grid's padding of 2
    assert grid.size == (12 * tile + 2, 2 * tile + 2)


def test_resume_is_bit_identical(runs):
    a, b = _tensors(runs["straight"]), _tensors(runs["resumed"])
    assert a.keys() == b.keys() and len(a) > 4
    assert all(torch.equal(a[k], b[k]) for k in a), [k for k in a if not torch.equal(a[k], b[k])]
    rows = [(r / "metrics.csv").read_text().splitlines() for r in runs.values()]
    assert [r.split(",")[:4] for r in rows[0]] == [r.split(",")[:4] for r in rows[1]]


def test_it_opens_as_an_encoder_and_evaluates_on_held_out_images(runs, capsys):
    run = runs["straight"]
    loaded = load_run(run)
    assert loaded.uses == {"encode": ("image",)} and loaded.task is AutoencoderTask
    model = loaded.require("encode")
    assert model.image_shape == (1, 32, 32) and model.code_dim == 64
    codes = model.encode(torch.zeros(3, 1, 32, 32, dtype=torch.uint8))
    assert codes.shape == (3, 64) and codes.min() >= 0
    assert main(["eval", str(run), "--n", "300"]) == 0
    table = capsys.readouterr().out
    assert "psnr_mean_image" in table
    result = json.loads((run / "eval" / "eval-ckpt-000000002048-reconstruction.json").read_text())
    m = result["metrics"]
    assert m["mse"] < m["mse_mean_image"] and m["psnr"] > m["psnr_mean_image"]
    assert 0 < m["ssim"] <= 1 and result["protocol"]["n"] == 300
    # trained on the test split: said, not hidden
    assert result["protocol"]["held_out"] is False
    assert main(["eval", str(run), "--metrics", "fd"]) == 2
    assert "does not apply to autoencoder runs" in capsys.readouterr().err


def test_export_writes_the_encoder(runs, tmp_path, capsys):
    run = runs["straight"]
    encoder = load_run(run).model.module
    x = torch.rand(5, 1, 32, 32) * 2 - 1
    for name in ("enc.safetensors", "enc.pt", "enc.onnx"):
        assert main(["export", str(run), "--out", str(tmp_path / name)]) == 0
        assert "encoder from" in capsys.readouterr().err
    torch.testing.assert_close(load_generator(tmp_path / "enc.safetensors")(x), encoder(x))
    script = torch.jit.load(str(tmp_path / "enc.pt"))
    torch.testing.assert_close(script(x), encoder(x))
    meta = json.loads((tmp_path / "enc.json").read_text())
    assert meta["output"] == {"name": "code", "shape": ["batch", 64]} and meta["center"] is False


def test_the_report_and_the_one_error_of_a_use_it_lacks(runs, tmp_path, capsys):
    run = runs["straight"]
    assert main(["report", str(run)]) == 0
    page = (run / "report.html").read_text()
    assert "its uses: encode" in page and "autoencoder" in page
    capsys.readouterr()
    assert main(["sample", str(run), "--n", "4", "--out", str(tmp_path / "s.npz")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "(an autoencoder run) cannot sample" in err[0]


def test_the_presets_are_the_tutorials_and_the_papers():
    tutorial = load_config("autoencoder-fashion-mnist")
    ae = build_autoencoder(tutorial.autoencoder, (1, 28, 28))
    linear = [(m.in_features, m.out_features) for m in ae.modules() if hasattr(m, "in_features")]
    assert linear == [(784, 32), (32, 784)]
    paper = load_config("dcgan-ae-32", {"data.channels": 3})
    ae = build_autoencoder(paper.autoencoder, (3, 32, 32))
    linear = [(m.in_features, m.out_features) for m in ae.modules() if hasattr(m, "in_features")]
    assert linear == [(3072, 128), (128, 3072)]  # Radford et al. 2016, sec. 4.1.1
    assert ae.noise_std > 0 and ae.code_dropout.p > 0


def _trainer(tmp_path, data=None, **over) -> Trainer:
    base = {"data.split": "test", "data.max_images": 256, "runtime.precision": "fp32", **over}
    return Trainer(load_config("dcgan-ae-32", tiny_overrides(tmp_path, **base)), data=data)


def test_denoising_loss_is_to_the_clean_image_and_noise_is_the_runs(tmp_path):
    """The batch carries the noise drawn from the run's generator; the loss compares the output
    with the clean images (the denoising criterion), never with the noisy input."""
    trainer = _trainer(tmp_path, **{"autoencoder.dropout": 0.0})
    task = trainer.task
    x, noise = task.make_batch(task.draw(), trainer.gen)
    assert noise is not None and noise.shape == x.shape and noise.std() > 0.5
    task.ae.train()
    out = task.reconstruction((x, noise), trainer.gen, True, None)
    recon = task.ae.decode(task.ae.encode(x + 0.2 * noise))
    torch.testing.assert_close(out.loss, ((recon - x) ** 2).mean())
    assert set(out.scalars) == {"mse", "psnr", "code_on"}
    assert one_iteration(trainer)["mse"] > 0


def test_centred_runs_train_on_centred_images_and_encode_centred(tmp_path):
    from ganforge.metrics.near_duplicates import center_by_mass

    data = random_images(64, 1, 32)
    trainer = _trainer(tmp_path, data=data, **{"autoencoder.center": True})
    assert torch.equal(trainer.task.images, center_by_mass(data.images))
    model = trainer.inference()
    assert model.center and torch.equal(model.prepare(data.images), center_by_mass(data.images))


@pytest.mark.parametrize("arch, shape", [("mlp", (3, 16, 24)), ("conv", (1, 28, 28))])
def test_other_sizes_channels_and_the_conv_variant_train(arch, shape, tmp_path):
    c, h, w = shape
    images = torch.randint(0, 256, (64, c, h, w), dtype=torch.uint8)
    data = ImageData(images, None, 0, "random", report={"source": "random"})
    over = {
        "autoencoder.arch": arch,
        "autoencoder.width": 4,
        "autoencoder.code": 8,
        "data.channels": c,
        "data.resolution": [h, w] if h != w else h,
        "train.images": 64,
    }
    trainer = _trainer(tmp_path, data=data, **over).fit()
    assert trainer.status == "finished"
    codes = trainer.inference().encode(images[:5])
    assert codes.shape == (5, 8)


@pytest.mark.parametrize(
    "over, message",
    [
        ({"data.source": "toy-ring"}, "model.task=autoencoder encodes images"),
        ({"train.eval_every": 1000}, "set train.eval_every=0"),
        ({"autoencoder.arch": "cnn"}, "autoencoder.arch='cnn' is not one of mlp, conv"),
        ({"autoencoder.code": 0}, "autoencoder.code=0 must be at least 1"),
        ({"autoencoder.dropout": 1.0}, r"autoencoder.dropout=1.0 must be in \[0, 1\)"),
        ({"autoencoder.noise": -0.1}, "autoencoder.noise=-0.1 must be >= 0"),
        ({"autoencoder.hidden": [64, 0]}, "autoencoder.hidden=.64, 0. must list"),
    ],
)
def test_bad_configs_are_one_line(over, message):
    with pytest.raises(GanforgeError, match=message) as e:
        check_config(load_config("dcgan-ae-32", over))
    assert "\n" not in str(e.value)


def test_data_of_another_shape_is_refused(tmp_path):
    with pytest.raises(GanforgeError, match=r"does not fit data.channels=1"):
        _trainer(tmp_path, data=random_images(64, 3, 32))


def test_bad_configs_through_the_cli_are_one_line_exit_2(tmp_path, capsys):
    argv = ["train", "--preset", "dcgan-ae-32", "--set", "autoencoder.code=-3"]
    assert main([*argv, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "autoencoder.code=-3" in err[0]
    assert not any(tmp_path.iterdir())  # no run folder


def test_channels_follow_the_data_unless_set(tmp_path, capsys):
    """`--preset dcgan-ae-32 --data SOURCE`: grey data give 1 channel, colour 3, and
    data.channels set by hand wins."""
    from PIL import Image

    folder = tmp_path / "colour"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(6):
        Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    base = ["train", "--preset", "dcgan-ae-32", "--dry-run"]
    assert main([*base, "--data", f"folder:{folder}"]) == 0
    out = capsys.readouterr()
    assert "channels: 3" in out.out and "note: data.channels=3" in out.err
    assert main([*base, "--data", f"folder:{folder}", "--set", "data.channels=1"]) == 0
    assert "channels: 1" in capsys.readouterr().out
    assert main([*base, "--data", "fashion-mnist", "--set", "data.split=test"]) == 0
    out = capsys.readouterr()
    assert "channels: 1" in out.out and "note: data.channels" not in out.err
