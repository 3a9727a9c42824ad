"""text/encoder.py: shapes, masking, and contrastive pre-training that separates matched pairs."""

import pytest
import torch

from ganforge.losses.contrastive import contrastive_loss, similarity
from ganforge.text.encoder import SentenceEncoder
from ganforge.text.image_encoder import ImageEncoder
from ganforge.text.tokenizer import WordTokenizer


def test_shapes_and_the_mask():
    torch.manual_seed(0)
    enc = SentenceEncoder(vocab_size=20, max_length=6, width=16, layers=1, heads=2, out_dim=8)
    ids = torch.tensor([[3, 4, 5, 0, 0, 0], [7, 0, 0, 0, 0, 0]])
    out = enc.eval()(ids)
    assert out.sentence.shape == (2, 8) and out.words.shape == (2, 6, 16)
    assert out.mask.tolist()[1] == [True, False, False, False, False, False]
    with pytest.raises(ValueError, match="7 positions"):
        enc(torch.ones(1, 7, dtype=torch.long))


def test_a_sentence_does_not_depend_on_its_batch_or_on_empty_rows():
    torch.manual_seed(0)
    enc = SentenceEncoder(vocab_size=20, max_length=5, width=16, layers=2, heads=2).eval()
    one = torch.tensor([[3, 4, 5, 0, 0]])
    batch = torch.cat([one, torch.tensor([[9, 9, 9, 9, 9]]), torch.zeros(1, 5, dtype=torch.long)])
    with torch.no_grad():
        alone, together = enc(one).sentence, enc(batch).sentence
    torch.testing.assert_close(alone[0], together[0], rtol=1e-5, atol=1e-5)
    assert torch.isfinite(together).all()  # an all-padding row gives no NaN


def test_contrastive_pre_training_separates_matched_from_mismatched_pairs():
    # Four kinds of 8x8 images (dark or light, left or right half lit) and their captions; a few
    # seconds of DAMSM's sentence loss must rank each image's caption above the others'.
    torch.manual_seed(0)
    kinds = [("dark", "left"), ("dark", "right"), ("light", "left"), ("light", "right")]
    captions = [f"a {tone} thing on the {side}" for tone, side in kinds]
    tok = WordTokenizer.build(captions, max_length=8)
    images = torch.full((4, 1, 8, 8), -1.0)
    for k, (tone, side) in enumerate(kinds):
        cols = slice(0, 4) if side == "left" else slice(4, 8)
        images[k, :, :, cols] = -0.2 if tone == "dark" else 0.9
    ids = tok.encode(captions).ids
    text = SentenceEncoder(len(tok), 8, width=16, layers=1, heads=2, out_dim=8, dropout=0.0)
    image = ImageEncoder(1, 8, width=4, out_dim=8)
    opt = torch.optim.Adam([*text.parameters(), *image.parameters()], lr=1e-2)
    for _ in range(40):
        noisy = images + 0.1 * torch.randn_like(images)
        loss = contrastive_loss(image(noisy), text(ids).sentence)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        sim = similarity(image(images), text.eval()(ids).sentence)  # (4, 4)
    off = sim[~torch.eye(4, dtype=torch.bool)]
    assert sim.diagonal().min() > off.max()
    assert (sim.argmax(1) == torch.arange(4)).all()
