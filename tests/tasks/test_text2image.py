"""tasks/text2image.py: the text-to-image task on the Trainer: the pre-training phase then the
GAN, the vocabulary saved with the run, exact resume across the two phases, the commands and
the export of a trained run, and its refusals."""

import json

import numpy as np
import pytest
import torch

from ganforge.cli import main
from ganforge.config import load_config
from ganforge.errors import GanforgeError
from ganforge.runs import load_run
from ganforge.tasks import check_config
from ganforge.tasks.text2image import Text2ImageTask
from ganforge.text.tokenizer import WordTokenizer
from ganforge.train import checkpoint as ckpt
from ganforge.train.trainer import Trainer
from tiny_runs import dcgan_run  # noqa: F401  (a session-scoped noise-to-image run)
from tiny_text2image import TINY, captioned_folder, text2image_run  # noqa: F401


@pytest.fixture
def run_dir(text2image_run):  # noqa: F811
    return text2image_run


def _tensors(run_dir):
    return ckpt.load(ckpt.list_checkpoints(run_dir / "checkpoints")[-1])


def _cli(*args, capsys, code=0):
    rc = main([str(a) for a in args])
    err = capsys.readouterr().err
    assert rc == code, err
    return err


def test_the_run_pretrains_then_trains_the_gan_and_keeps_its_vocabulary(run_dir):
    header, *rows = (run_dir / "metrics.csv").read_text().splitlines()
    cols = header.split(",")
    first, last = (dict(zip(cols, r.split(","))) for r in (rows[0], rows[-1]))
    assert first["te_loss"] and not first["d_loss"]  # 16 images of pre-training, no GAN step
    assert last["d_loss"] and last["g_loss"] and not last["te_loss"]
    saved = WordTokenizer.load(run_dir / "tokenizer.json")
    state = _tensors(run_dir)
    assert saved.to_json() == state["task"]["tokenizer"]
    assert "slacks" in saved.ids and "trousers" in saved.ids  # both wordings: encoder captions
    run = load_run(run_dir)
    assert set(run.uses) == {"text", "sample"} and run.used_ema


def test_samples_follow_the_caption_they_are_given(run_dir):
    model = load_run(run_dir).require("text")
    ids, notes = model.encode_text(["a dark coat", "a light sandal", "a dark coat zorblax"])
    assert notes and "zorblax" in notes[0]  # unknown words said once, mapped to [UNK]
    z = torch.randn(1, model.z_dim).expand(3, -1)
    images = model.generate(z, ids)
    assert images.shape == (3, 1, 16, 16) and images.abs().max() <= 1
    assert not torch.equal(images[0], images[1])  # the text reaches G
    with pytest.raises(GanforgeError, match="no words"):
        model.encode_text(["\u3000 \t "])
    with pytest.raises(GanforgeError, match="characters"):
        model.encode_text(["coat " * 1000])


def test_resume_across_the_pretraining_is_bit_identical(tmp_path):
    over = {**TINY, "train.images": 48, "train.checkpoint_every": 16, "train.ema_halflife": 100}
    data = Text2ImageTask.load_data(load_config("text2image-fashion", over))
    straight = Trainer(
        load_config("text2image-fashion", {**over, "out_dir": str(tmp_path / "a")}), data=data
    ).fit()
    half = Trainer(
        load_config(
            "text2image-fashion", {**over, "train.images": 16, "out_dir": str(tmp_path / "b")}
        ),
        data=data,
    ).fit()
    assert half.task.pretraining  # stopped inside the pre-training
    Trainer.resume(half.run_dir, {"train.images": 48}, data=data).fit()
    flat_a, flat_b = ckpt_flat(_tensors(straight.run_dir)), ckpt_flat(_tensors(half.run_dir))
    assert flat_a.keys() == flat_b.keys() and any(k.startswith("ema.G") for k in flat_a)
    assert all(torch.equal(flat_a[k], flat_b[k]) for k in flat_a)


def ckpt_flat(state, prefix=""):
    out = {}
    for k, v in state.items():
        if isinstance(v, dict):
            out.update(ckpt_flat(v, f"{prefix}{k}."))
        elif isinstance(v, torch.Tensor):
            out[prefix + k] = v
    return out


def test_a_users_captioned_folder_trains(tmp_path):
    folder = captioned_folder(tmp_path / "squares", size=16)
    over = {**TINY, "data.source": f"captioned:{folder}", "data.channels": 3}
    over.update({"data.max_images": 0, "train.batch_size": 8, "train.images": 32})
    run_dir = (
        Trainer(load_config("text2image-64", {**over, "out_dir": str(tmp_path)})).fit().run_dir
    )
    report = json.loads((run_dir / "data_report.json").read_text())
    assert report["caption_layout"] == "metadata.jsonl" and report["n_captions"] == 48
    model = load_run(run_dir).require("text")
    ids, notes = model.encode_text(["a red square"])
    assert not notes and model.generate(torch.zeros(1, model.z_dim), ids).shape == (1, 3, 16, 16)
    assert not model.G.G.tanh  # the preset's linear output, kept by the reopened run


def test_the_commands_sample_interpolate_and_export_a_text_run(
    run_dir, tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "caps.txt").write_text("a dark coat\n\na pair of wide trousers\n")
    _cli("sample", run_dir, "--text-file", "caps.txt", "--n", 3, "--out", "s.npz", capsys=capsys)
    z = np.load(tmp_path / "s.npz")
    assert list(z["text"]) == ["a dark coat", "a pair of wide trousers", "a dark coat"]
    assert z["y"].shape == (3, 16) and (z["y"][0] == z["y"][2]).all()
    walk = ["--from-text", "a sandal", "--to-text", "an ankle boot", "--steps", 4]
    _cli("interpolate", run_dir, *walk, "--out", "walk.png", capsys=capsys)
    assert (tmp_path / "walk.png").is_file()
    err = _cli("sample", run_dir, "--text", " ", "--grid", "g.png", capsys=capsys, code=2)
    assert "empty" in err and not (tmp_path / "g.png").exists()
    err = _cli("export", run_dir, "--out", "g.safetensors", capsys=capsys)
    assert "tokenizer.json" in err
    shipped = WordTokenizer.load(tmp_path / "tokenizer.json")
    assert shipped.to_json() == (run_dir / "tokenizer.json").read_text()


def test_text_on_a_run_without_the_text_use_is_refused(dcgan_run, tmp_path, capsys):  # noqa: F811
    err = _cli(
        "sample", dcgan_run, "--text", "a coat", "--grid", tmp_path / "g.png", capsys=capsys, code=2
    )
    assert "cannot text" in err and "its uses: sample" in err
    assert not (tmp_path / "g.png").exists()


def test_bad_configs_and_data_are_refused():
    with pytest.raises(GanforgeError, match="n_critic"):
        check_config(load_config("text2image-fashion", {"train.n_critic": 2}))
    with pytest.raises(GanforgeError, match="power of two"):
        check_config(load_config("text2image-fashion", {"data.resolution": 24}))
    with pytest.raises(GanforgeError, match="no captions"):
        Text2ImageTask.load_data(
            load_config(
                "text2image-fashion", {"data.source": "fashion-mnist", "data.max_images": 64}
            )
        )
