"""inference/text_generator.py: the text use, token ids in, images out; the export's inputs and
the caption walk's ends."""

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.images import to_uint8
from ganforge.inference.text_generator import TextGenerator, TextToImage
from ganforge.models.dfgan import DFGANGenerator
from ganforge.text.encoder import SentenceEncoder
from ganforge.text.tokenizer import WordTokenizer


def _model():
    torch.manual_seed(0)
    tok = WordTokenizer.build(["a dark coat", "a light bag"], max_length=6)
    enc = SentenceEncoder(len(tok), 6, 16, 1, 2, 16).eval()
    G = DFGANGenerator(8, 16, 1, 8, 4).eval()
    net = TextToImage(enc, G, None, tok.encode(["a dark coat", "a light bag"]).ids)
    return TextGenerator(net, tok, (1, 8, 8), ["a dark coat", "a light bag"])


def test_uses_ids_prompts_and_walk():
    m = _model()
    assert set(m.uses) == {"text", "sample"} and m.z_dim == 8
    ids, notes = m.encode_text(["a dark coat", "a dark coat"])
    z = torch.randn(2, 8)
    out = m.generate(z, ids)
    assert out.shape == (2, 1, 8, 8)
    # Without ids the example captions are used in turn.
    assert torch.allclose(m.G(z), m.generate(z, m.G.prompts), atol=1e-6)
    walk = m.caption_walk(z[0], ids[0], m.G.prompts[1], 5)
    assert torch.allclose(walk[0], out[0], atol=1e-5)
    assert torch.allclose(walk[-1], m.generate(z[:1], m.G.prompts[1:2])[0], atol=1e-5)
    with pytest.raises(GanforgeError, match="at least 2"):
        m.caption_walk(z[0], ids[0], ids[1], 1)


def test_export_spec_takes_token_ids_and_ships_the_tokenizer():
    m = _model()
    spec = m.export_spec()
    assert spec.input_names == ["z", "ids"] and spec.example[1].dtype == torch.int64
    assert spec.config["inputs"]["ids"]["shape"] == ["batch", 6]
    assert WordTokenizer.from_json(m.companion_files()["tokenizer.json"]).words == m.tokenizer.words
    ep = torch.export.export(spec.module, spec.example, dynamic_shapes=spec.dynamic_shapes)
    probe = spec.probes[1]
    assert torch.allclose(ep.module()(*probe), spec.module(*probe), atol=1e-5)


def test_infer_by_name_follows_the_caption_and_says_what_its_inputs_need():
    """The web demo's path: ``infer("text", ...)`` is ``generate`` on the encoded captions, one
    caption standing for all N, as uint8 images."""
    m = _model()
    z = torch.randn(3, 8)
    one = m.infer("text", {"z": z, "text": ["a dark coat"]})
    ids, _ = m.encode_text(["a dark coat"] * 3)
    expected = ((m.generate(z, ids).clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    assert one.dtype == torch.uint8 and one.shape == (3, 1, 8, 8)
    assert (one.int() - expected.int()).abs().max() <= 1
    other = m.infer("sample", {"z": z, "text": ["a light bag", "a dark coat", "a light bag"]})
    ids = m.encode_text(["a light bag", "a dark coat", "a light bag"])[0]
    assert torch.equal(other, to_uint8(m.generate(z, ids)))
    assert m.input_info("z") == {"dim": 8}
    assert m.input_info("text")["examples"] == ["a dark coat", "a light bag"]
    with pytest.raises(GanforgeError, match="2 captions for 3 latents"):
        m.infer("text", {"z": z, "text": ["a", "b"]})
    with pytest.raises(GanforgeError, match="missing: text"):
        m.infer("text", {"z": z})
