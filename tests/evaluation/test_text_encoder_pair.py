"""evaluation/text_encoder_pair.py: DAMSM's contrastive pre-training separates matched from
mismatched image-caption pairs on a tiny set, and the trained pair is cached by its settings."""

import torch

from ganforge.config.text2image import Text2ImageConfig
from ganforge.data.loader import to_model_range
from ganforge.evaluation.text_encoder_pair import cached_pair
from ganforge.losses.contrastive import similarity
from ganforge.text.caption_table import CaptionTable
from ganforge.text.tokenizer import WordTokenizer

COLOURS = {
    "red": (1.0, -1, -1),
    "green": (-1, 1.0, -1),
    "blue": (-1, -1, 1.0),
    "dark": (-1, -1, -1),
}


def _set(n=64):
    names = list(COLOURS)
    x = torch.stack([torch.tensor(COLOURS[names[i % 4]]) for i in range(n)])  # (n, 3)
    images = ((x[:, :, None, None].expand(n, 3, 8, 8) + 1) * 127.5).to(torch.uint8)
    caps = [[f"a {names[i % 4]} tile", f"{names[i % 4]}"] for i in range(n)]
    return images, caps


def test_pretraining_separates_matched_from_mismatched_pairs(tmp_path):
    images, caps = _set()
    tok = WordTokenizer.build([c for cc in caps for c in cc], max_length=4)
    t = Text2ImageConfig(text_dim=16, text_width=16, text_heads=2, text_layers=1, image_width=4)
    table = CaptionTable.build(caps, tok)
    path = tmp_path / "pair.safetensors"
    text, image, cached = cached_pair(path, images, table, t, len(tok), 60, 1, say=lambda s: None)
    assert not cached and path.is_file()
    with torch.no_grad():
        sim = similarity(
            image(to_model_range(images[:4])),
            text(
                tok.encode(["a red tile", "a green tile", "a blue tile", "a dark tile"]).ids
            ).sentence,
        )
    matched, mismatched = sim.diagonal().mean(), sim[~torch.eye(4, dtype=torch.bool)].mean()
    assert matched > mismatched + 0.3, sim
    assert (sim.argmax(1) == torch.arange(4)).all()
    again = cached_pair(path, images, table, t, len(tok), 60, 1, say=lambda s: None)
    assert again[2] and torch.equal(again[0].project.weight, text.project.weight)
    other = cached_pair(path, images, table, t, len(tok), 61, 1, say=lambda s: None)
    assert not other[2]  # other settings: trained again
