"""text/fashion_data.py: the fashion-captions scheme, the demo's captioned Fashion-MNIST."""

import pytest

from ganforge.config import DataConfig
from ganforge.data import load_data
from ganforge.errors import GanforgeError
from ganforge.text import fashion_data  # noqa: F401  (registers the scheme)
from ganforge.text.fashion_captions import CLASS_NAMES, caption_targets


def test_two_wordings_per_image_and_their_thresholds():
    data = load_data(
        DataConfig(source="fashion-captions", split="test", resolution=16, max_images=200)
    )
    assert len(data) == 200 and data.images.shape[-1] == 16
    caps, held = data.fields["captions"], data.fields["encoder_captions"]
    assert len(caps[0]) == 5 and len(held[0]) == 3
    for label, mine in zip(data.labels.tolist()[:50], caps[:50]):
        assert {caption_targets(c).label for c in mine} == {label}, (CLASS_NAMES[label], mine)
    assert set(data.report["caption_thresholds"]) == {"low", "median", "high"}


def test_colour_is_refused():
    with pytest.raises(GanforgeError, match="grey"):
        load_data(DataConfig(source="fashion-captions", split="test", channels=3, max_images=8))
