"""The shipped models: an index with SHA-256 digests, each opened as ``pretrained:NAME``."""

from __future__ import annotations

import json
import shutil

import pytest

from ganforge.errors import GanforgeError
from ganforge.explore import sample as S
from ganforge.hub import pretrained as P
from ganforge.runs import load_run

SHIPPED = list(P.shipped())
MAX_TOTAL_BYTES = 20 << 20  # the budget for every shipped model together


def test_at_least_one_model_ships_and_all_fit_the_size_budget():
    assert "dcgan-fashion-mnist" in SHIPPED
    total = sum(f.stat().st_size for n in SHIPPED for f in (P.ROOT / n).iterdir())
    assert total <= MAX_TOTAL_BYTES


@pytest.mark.parametrize("name", SHIPPED)
def test_each_shipped_model_verifies_samples_and_carries_its_score(name):
    run = load_run(f"pretrained:{name}")
    assert run.read_only and run.used_ema and run.cfg.data.resolution == 32
    images = S.draw(run.G, 4, seed=0, num_classes=run.num_classes).images
    assert images.shape == (4, 1, 32, 32) and images.std() > 0.1  # not a flat grey
    card = run.card
    assert card["images_seen"] == run.images_seen > 0
    assert card["metrics"]["fd_fmnist"] > 0 and len(card["protocol"]["hash"]) == 12
    assert "MIT" in card["license_note"] and card["training_command"]


def test_an_unknown_name_lists_the_shipped_ones():
    with pytest.raises(
        GanforgeError, match="no pretrained model 'nope': the shipped ones are"
    ) as e:
        load_run("pretrained:nope")
    assert all(n in str(e.value) for n in SHIPPED)


def test_a_damaged_file_is_refused_before_it_is_read(tmp_path):
    name = SHIPPED[0]
    shutil.copytree(P.ROOT / name, tmp_path / name)
    shutil.copy(P.ROOT / P.INDEX, tmp_path / P.INDEX)
    assert P.open_pretrained(name, tmp_path).images_seen > 0  # the copy is whole
    weights = tmp_path / name / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF  # one bit pattern in the last weight
    weights.write_bytes(bytes(data))
    with pytest.raises(GanforgeError, match="missing or damaged .its SHA-256"):
        P.open_pretrained(name, tmp_path)


def test_a_malformed_index_is_one_line(tmp_path):
    (tmp_path / P.INDEX).write_text(json.dumps({"models": {"x": {"summary": "s"}}}))
    with pytest.raises(GanforgeError, match="is malformed"):
        P.shipped(tmp_path)
