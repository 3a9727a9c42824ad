"""text/caption_table.py: the flat caption table and the vectorised choice of one caption."""

import torch

from ganforge.text.caption_table import CaptionTable
from ganforge.text.tokenizer import WordTokenizer


def test_rows_keys_and_picks():
    per_image = [["a dark coat", "a coat"], ["a dark coat"], ["a bag", "a purse", "a tote"]]
    tok = WordTokenizer.build([c for caps in per_image for c in caps], max_length=4)
    t = CaptionTable.build(per_image, tok)
    assert t.image.tolist() == [0, 0, 1, 2, 2, 2] and t.start.tolist() == [0, 2, 3]
    assert t.key[0] == t.key[2] and len(set(t.key.tolist())) == 5  # equal strings share a key
    rows = t.pick(torch.tensor([2, 2, 2, 1]), torch.tensor([0.0, 0.5, 0.999, 0.7]))
    assert rows.tolist() == [3, 4, 5, 2]
    assert tok.decode(t.ids[rows[:1]]) == ["a bag"]
