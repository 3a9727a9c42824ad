"""Model folders (config.json + model.safetensors + card): written, read back, bad ones refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from ganforge.errors import GanforgeError
from ganforge.explore import sample as S
from ganforge.hub.folder import CARD, CONFIG, GRID, MAX_CONFIG_BYTES, WEIGHTS, read_model_folder
from ganforge.runs import load_run


def _copy(folder: Path, tmp_path: Path) -> Path:
    out = tmp_path / folder.name
    shutil.copytree(folder, out)
    return out


def test_export_writes_the_hub_layout_and_loads_back_the_same_samples(hub_folder, dcgan_run):
    assert sorted(p.name for p in hub_folder.iterdir()) == sorted([CARD, CONFIG, GRID, WEIGHTS])
    config = json.loads((hub_folder / CONFIG).read_text())
    assert config["format"] == "ganforge-hub-1" and config["network"] == "G" and config["ema"]
    card = (hub_folder / CARD).read_text()
    assert card.startswith("---\nlibrary_name: ganforge\n") and "![samples](samples.png)" in card
    run, folder = load_run(dcgan_run), load_run(hub_folder)
    assert folder.read_only and not run.read_only and folder.images_seen == run.images_seen
    assert not folder.has_discriminator
    a = S.draw(run.G, 8, seed=3).images
    b = S.draw(folder.G, 8, seed=3).images
    assert torch.equal(a, b)  # float32 weights: the very same generator


def test_float16_folder_is_half_the_size_and_samples_nearly_alike(hub_folder_cgan, cgan_run):
    weights = load_file(str(hub_folder_cgan / WEIGHTS))
    assert {t.dtype for t in weights.values() if t.is_floating_point()} == {torch.float16}
    run, folder = load_run(cgan_run), load_run(hub_folder_cgan)
    assert folder.num_classes == run.num_classes == 10
    assert folder.class_names == run.class_names
    a = S.draw(run.G, 16, seed=1, num_classes=10).images
    b = S.draw(folder.G, 16, seed=1, num_classes=10).images
    # float16 keeps ~3 significant digits: images agree to a few grey levels, not bit for bit.
    assert 0 < (a - b).abs().max() < 0.05


def _edit_config(folder: Path, edit) -> None:
    tree = json.loads((folder / CONFIG).read_text())
    edit(tree)
    (folder / CONFIG).write_text(json.dumps(tree))


@pytest.mark.parametrize(
    "damage, words",
    [
        (lambda f: (f / CONFIG).unlink(), "has no config.json"),
        (lambda f: (f / CONFIG).write_text("{not json"), "is not valid JSON"),
        (lambda f: (f / CONFIG).write_bytes(b" " * (MAX_CONFIG_BYTES + 1)), "over the"),
        (lambda f: _edit_config(f, lambda t: t.update(format="other")), "not a ganforge model"),
        (lambda f: _edit_config(f, lambda t: t["config"]["train"].update(images=-5)), "invalid"),
        (lambda f: _edit_config(f, lambda t: t.update(num_classes="ten")), "num_classes"),
        (lambda f: _edit_config(f, lambda t: t["config"]["model"].update(g_width=16)), "match"),
        (lambda f: (f / WEIGHTS).write_bytes(b"\xff" * 64), "not a readable safetensors"),
    ],
)
def test_bad_folders_are_one_line_errors(hub_folder, tmp_path, damage, words):
    folder = _copy(hub_folder, tmp_path)
    damage(folder)
    with pytest.raises(GanforgeError, match=words) as e:
        load_run(folder)
    assert "\n" not in str(e.value)


def test_a_folder_of_pickles_is_refused_unopened(hub_folder, tmp_path):
    folder = _copy(hub_folder, tmp_path)
    (folder / WEIGHTS).unlink()
    (folder / "pytorch_model.bin").write_bytes(b"\x80\x04 never unpickled")
    with pytest.raises(GanforgeError, match="pickled weights .pytorch_model.bin. and no model"):
        read_model_folder(folder)
    (folder / CONFIG).unlink()  # a bare folder of pickles, not even ours
    with pytest.raises(GanforgeError, match="safetensors only, never pickles"):
        load_run(folder)


def test_integer_tensors_other_than_counters_are_refused(hub_folder, tmp_path):
    folder = _copy(hub_folder, tmp_path)
    tensors = load_file(str(folder / WEIGHTS))
    tensors["evil"] = torch.zeros(3, dtype=torch.uint8)
    save_file(tensors, str(folder / WEIGHTS))
    with pytest.raises(GanforgeError, match="'evil' is torch.uint8"):
        read_model_folder(folder)


def test_no_ema_and_checkpoint_options_are_refused_for_a_folder(hub_folder):
    with pytest.raises(GanforgeError, match="drop --no-ema"):
        load_run(hub_folder, ema=False)
    with pytest.raises(GanforgeError, match="drop --checkpoint"):
        load_run(hub_folder, checkpoint="best")
