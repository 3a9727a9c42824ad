"""`ganforge dedup`: planted exact and near duplicates in a small folder are grouped and distinct
images are not, with an autoencoder it trains itself or one given by --model; the JSON and the
contact sheet; every bad input is one line with exit code 2."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from ganforge.cli import main

SIDE = 32
FLAGS = ["--no-progress", "--device", "cpu"]


def _sprites(folder, n: int = 24, colour: bool = True):
    """n distinct sprites (a disc and three bars on white, at random places, sizes and colours),
    plus an
    exact copy of sprite 3, a noisy copy of sprite 7 and a 1-px shifted copy of sprite 11."""
    folder.mkdir()
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:SIDE, :SIDE]
    sprites = []
    for i in range(n):
        img = np.full((SIDE, SIDE, 3), 255, np.uint8)
        cy, cx = rng.integers(10, 22, 2)
        img[(yy - cy) ** 2 + (xx - cx) ** 2 < rng.integers(16, 80)] = rng.integers(0, 200, 3)
        for _ in range(3):
            y0, x0 = rng.integers(2, 24, 2)
            h, w = rng.integers(3, 9, 2)
            img[y0 : y0 + h, x0 : x0 + w] = rng.integers(0, 255, 3)
        sprites.append(img if colour else img[..., :1].repeat(3, 2))
        Image.fromarray(sprites[-1]).save(folder / f"s{i:02d}.png")
    Image.fromarray(sprites[3]).save(folder / "t-copy-of-03.png")
    noisy = sprites[7].astype(int) + rng.integers(-3, 4, sprites[7].shape)
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(folder / "t-noisy-07.png")
    shifted = np.full_like(sprites[11], 255)
    shifted[:, 1:] = sprites[11][:, :-1]
    Image.fromarray(shifted).save(folder / "t-shift-11.png")
    return folder


@pytest.fixture(scope="module")
def deduped(tmp_path_factory):
    root = tmp_path_factory.mktemp("dedup")
    folder = _sprites(root / "sprites")
    out = root / "dups"
    argv = ["dedup", f"folder:{folder}", "--out", str(out), "--ae-images", "2048", *FLAGS]
    assert main(argv) == 0
    return folder, out


def test_planted_duplicates_are_grouped_and_distinct_images_are_not(deduped):
    folder, out = deduped
    doc = json.loads((out / "groups.json").read_text())
    groups = {tuple(sorted(g["members"])) for g in doc["groups"]}
    assert ("s03.png", "t-copy-of-03.png") in groups
    assert ("s07.png", "t-noisy-07.png") in groups
    assert ("s11.png", "t-shift-11.png") in groups  # centring by mass makes shifts hashable
    assert len(groups) == 3 and doc["summary"]["left_out"] == 3


def test_the_json_names_source_settings_model_and_distances(deduped):
    folder, out = deduped
    doc = json.loads((out / "groups.json").read_text())
    assert doc["format"] == "ganforge-duplicate-groups" and doc["version"] == 1
    assert doc["source"]["source"] == f"folder:{folder.resolve()}"
    assert doc["source"]["n_items"] == 27 and doc["source"]["split"] == "all"
    assert doc["settings"] == {**doc["settings"], "threshold": 0.0, "radius": 10, "code_bits": 512}
    assert doc["model"]["trained_by_dedup"] and doc["model"]["centred"]
    assert doc["model"]["run"] == str((out / "autoencoder").resolve())
    exact = next(g for g in doc["groups"] if "t-copy-of-03.png" in g["members"])
    assert exact["same_pixels"] == [True, True] and exact["distances"][0] == 0
    near = next(g for g in doc["groups"] if "t-noisy-07.png" in g["members"])
    assert near["same_pixels"][1] is False and 0 <= near["distances"][1] <= 10
    assert doc["cost"]["candidate_pairs"] >= 0 and doc["summary"]["exact_groups"] == 1


def test_the_contact_sheet_and_the_reusable_autoencoder(deduped, tmp_path, capsys):
    folder, out = deduped
    sheet = np.asarray(Image.open(out / "groups.png"))
    assert sheet.ndim == 3 and sheet.shape[0] > 3 * SIDE  # three rows of groups
    run = out / "autoencoder"
    assert (run / "config.yaml").is_file() and (run / "checkpoints").is_dir()
    assert "autoencoder:\n  arch: mlp" in (run / "config.yaml").read_text()
    again = tmp_path / "again"
    argv = ["dedup", f"folder:{folder}", "--model", str(run), "--out", str(again), *FLAGS]
    assert main(argv) == 0
    first = json.loads((out / "groups.json").read_text())["groups"]
    assert json.loads((again / "groups.json").read_text())["groups"] == first
    assert not (again / "autoencoder").exists()
    assert "train without them: --set data.exclude=" in capsys.readouterr().out


def test_radius_and_threshold_options(deduped, tmp_path):
    folder, out = deduped
    run = str(out / "autoencoder")
    base = ["dedup", f"folder:{folder}", "--model", run, *FLAGS]
    assert main([*base, "--out", str(tmp_path / "r0"), "--radius", "0"]) == 0
    doc = json.loads((tmp_path / "r0" / "groups.json").read_text())
    assert doc["settings"]["radius"] == 0
    assert any("t-copy-of-03.png" in g["members"] for g in doc["groups"])  # exact: always
    assert main([*base, "--out", str(tmp_path / "med"), "--threshold", "median"]) == 0
    doc = json.loads((tmp_path / "med" / "groups.json").read_text())
    assert doc["settings"]["threshold"] == "median"


def test_force_replaces_the_outputs_and_leaves_other_files(deduped, tmp_path, capsys):
    folder, out = deduped
    target = tmp_path / "full"
    target.mkdir()
    (target / "mine.txt").write_text("keep me")
    (target / "groups.png").write_text("old")
    argv = ["dedup", f"folder:{folder}", "--model", str(out / "autoencoder"), "--out", str(target)]
    assert main([*argv, *FLAGS]) == 2
    assert "is not empty" in capsys.readouterr().err
    assert main([*argv, *FLAGS, "--force"]) == 0
    assert (target / "mine.txt").read_text() == "keep me"
    assert json.loads((target / "groups.json").read_text())["summary"]["groups"] == 3
    assert Image.open(target / "groups.png").size[0] > 0  # the old file was replaced
    assert sorted(p.name for p in target.iterdir()) == ["groups.json", "groups.png", "mine.txt"]


def test_a_canonical_set_names_items_by_their_ids(deduped, tmp_path, capsys):
    """fashion-mnist's test split through a grey autoencoder trained by the task: items are
    named fashion-mnist/test#i; its 28 px images are resized to the run's 32 px, and said so."""
    runs = tmp_path / "runs"
    train = [
        "train",
        "--preset=dcgan-ae-32",
        "--set=data.split=test",
        "--set=data.max_images=256",
        "--set=autoencoder.code=32",
        "--set=train.images=256",
        "--set=train.batch_size=64",
        "--set=train.loggers=[]",
        "--set=train.report=false",
        f"--out={runs}",
        "--no-progress",
    ]
    assert main(train) == 0
    (run,) = runs.iterdir()
    out = tmp_path / "fm"
    argv = ["dedup", "fashion-mnist", "--split", "test", "--model", str(run), "--out", str(out)]
    assert main([*argv, *FLAGS, "--radius", "0"]) == 0
    captured = capsys.readouterr()
    assert "28x28 images are resized to the autoencoder's 32x32" in captured.err
    doc = json.loads((out / "groups.json").read_text())
    assert doc["source"]["source"] == "fashion-mnist" and doc["source"]["n_items"] == 10_000
    members = [m for g in doc["groups"] for m in g["members"]]
    assert members and all(m.startswith("fashion-mnist/test#") for m in members)
    # a grey autoencoder and a colour folder: refused, naming both
    folder, _ = deduped
    bad = ["dedup", f"folder:{folder}", "--model", str(run), "--out", str(tmp_path / "x")]
    assert main([*bad, *FLAGS]) == 2
    err = capsys.readouterr().err
    assert "holds colour images and" in err and "encodes 1-channel images" in err


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--radius", "-1"], "--radius -1 must be from 0 to the code's bits"),
        (["--radius", "513"], "--radius 513 must be from 0 to the code's 512 bits"),
        (["--threshold", "half"], "--threshold half: give a number"),
        (["--ae-images", "0"], "--ae-images 0 must be a positive number"),
    ],
)
def test_bad_options_are_one_line(extra, message, tmp_path, ganforge_cli):
    folder = _sprites(tmp_path / "s", n=12)
    err = ganforge_cli("dedup", f"folder:{folder}", "--out", tmp_path / "o", *extra, code=2).err
    assert message in err
    assert not (tmp_path / "o").exists()  # nothing written


def test_bad_sources_runs_and_outputs_are_one_line(deduped, dcgan_run, tmp_path, ganforge_cli):
    folder, out = deduped
    empty = tmp_path / "empty"
    empty.mkdir()
    err = ganforge_cli("dedup", f"folder:{empty}", "--out", tmp_path / "o", code=2).err
    assert "is empty" in err
    err = ganforge_cli(
        "dedup", f"folder:{folder}", "--model", dcgan_run, "--out", tmp_path / "o", code=2
    ).err
    assert "cannot encode" in err and "commands for them" in err
    err = ganforge_cli(
        "dedup",
        f"folder:{folder}",
        "--out",
        folder / "dups",
        "--model",
        out / "autoencoder",
        code=2,
    ).err
    assert "inside the source folder" in err
    run = str(out / "autoencoder")
    err = ganforge_cli(
        "dedup",
        f"folder:{folder}",
        "--model",
        run,
        "--ae-images",
        "5",
        "--out",
        tmp_path / "o",
        code=2,
    ).err
    assert "--ae-images sets the autoencoder dedup trains" in err
    (tmp_path / "file").write_text("x")
    err = ganforge_cli("dedup", f"folder:{folder}", "--out", tmp_path / "file", code=2).err
    assert "is a file" in err
    assert not (tmp_path / "o").exists()


def test_the_groups_clean_a_folder_before_gan_training_and_the_run_reports_it(
    deduped, tmp_path, capsys
):
    folder, out = deduped
    argv = [
        "train",
        "--preset=dcgan-fashion-mnist",
        f"--data=folder:{folder}",
        f"--set=data.exclude={out / 'groups.json'}",
        "--set=data.channels=3",
        "--set=model.g_width=8",
        "--set=model.d_width=8",
        "--set=train.batch_size=8",
        "--set=train.images=16",
        "--set=train.eval_every=0",
        "--set=train.loggers=[]",
        "--set=train.report=false",
        f"--out={tmp_path}",
        "--no-progress",
    ]
    assert main(argv) == 0
    assert "note: data.exclude: left out 3 duplicate image(s) of 27" in capsys.readouterr().err
    (run,) = tmp_path.iterdir()
    report = json.loads((run / "data_report.json").read_text())
    assert report["n_images"] == 24 and report["exclude"]["left_out"] == 3
    left = {item["id"] for item in report["exclude"]["items"]}
    assert left == {"t-copy-of-03.png", "t-noisy-07.png", "t-shift-11.png"}
    assert "near duplicate of s07.png (Hamming distance" in str(report["exclude"]["items"])
