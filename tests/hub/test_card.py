"""The README.md model card: Hub front matter, the scores with their protocol, the licence."""

from __future__ import annotations

from ganforge.config import load_config
from ganforge.hub.card import render


def test_card_has_front_matter_scores_protocol_and_licence():
    cfg = load_config("cgan-fashion-mnist")
    facts = {
        "summary": "a test model",
        "license": "mit",
        "license_note": "Trained on Fashion-MNIST (MIT).",
        "training_command": "ganforge train --preset cgan-fashion-mnist",
        "metrics": {"fd_fmnist": 16.46912, "classes_present": 10},
        "protocol": {"hash": "0ddded4687f3", "n_fake": 10000},
    }
    text = render("tiny", cfg, facts, images_seen=123_456, num_classes=10)
    front, body = text.split("---\n")[1], text.split("---\n", 2)[2]
    assert "library_name: ganforge" in front and 'license: "mit"' in front
    assert "- class-conditional-image-generation" in front
    assert "| fd_fmnist | 16.47 |" in body and "| classes_present | 10 |" in body
    assert '- hash: `"0ddded4687f3"`' in body and "123,456 images" in body
    assert "ganforge train --preset cgan-fashion-mnist" in body
    assert body.rstrip().endswith("mit. Trained on Fashion-MNIST (MIT).")


def test_a_card_without_scores_says_how_to_get_them():
    text = render("tiny", load_config("dcgan-fashion-mnist"), {}, 1, 0)
    assert "Not measured: `ganforge eval RUN` before exporting" in text
    assert "- unconditional-image-generation" in text
