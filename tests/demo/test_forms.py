"""demo/forms.py: the page's forms come from what a model declares, and say when they cannot run."""

from __future__ import annotations

from torch import nn

from ganforge.demo.forms import describe, runs_by_name
from ganforge.inference.noise import NoiseGenerator
from ganforge.inference.uses import InferenceModel
from tiny_demo import Captioned, CondG, encoder, inpainter, noise_model, translator


def _by_id(forms):
    return {f["id"]: f for f in forms}


def test_a_conditional_generator_gets_sample_class_and_a_walk():
    forms = _by_id(describe(noise_model()))
    assert list(forms) == ["sample", "class", "sample-walk"]
    assert [f["mode"] for f in forms.values()] == ["grid", "grid", "walk"]
    z, y = forms["class"]["inputs"]
    assert z == {"name": "z", "control": "latent", "dim": 8}
    assert y == {"name": "y", "control": "class", "classes": ["shirt", "shoe", "bag"]}
    assert forms["sample"]["inputs"][1]["cycle"] is True  # sample: classes in turn by default
    assert all(f["problem"] is None and f["output"] == "image" for f in forms.values())


def test_an_unconditional_generator_has_no_class_picker_and_unnamed_classes_are_numbered():
    forms = _by_id(describe(NoiseGenerator(CondG(), output_shape=(1, 8, 8))))
    assert list(forms) == ["sample", "sample-walk"]
    assert [i["name"] for i in forms["sample"]["inputs"]] == ["z"]
    numbered = NoiseGenerator(CondG(), num_classes=3, output_shape=(1, 8, 8))
    assert describe(numbered)[1]["inputs"][1]["classes"] == ["0", "1", "2"]


def test_image_uses_get_uploads_with_what_the_model_takes():
    (tr,) = describe(translator())
    assert tr["use"] == "translate" and tr["mode"] == "upload"
    assert tr["inputs"] == [
        {"name": "image", "control": "image", "channels": 1, "size": None, "min_size": 4}
        | {"background": "white"}
    ]
    assert describe(translator(scale=2))[0]["use"] == "upscale"
    (inp,) = describe(inpainter())
    assert [(i["name"], i["control"]) for i in inp["inputs"]] == [
        ("image", "image"),
        ("mask", "mask"),
    ]
    (enc,) = describe(encoder(), has_gallery=True)
    assert enc["output"] == "code" and enc["problem"] is None
    assert enc["inputs"][0]["size"] == [8, 8]  # a fixed size: the page says uploads are resized


def test_a_family_added_later_gets_its_form_from_its_declaration():
    forms = _by_id(describe(Captioned()))
    assert list(forms) == ["text", "text-walk"]
    assert [i["control"] for i in forms["text"]["inputs"]] == ["latent", "caption"]
    assert forms["text"]["meaning"] == "condition samples on a caption"


class Odd(InferenceModel):
    """Declares a use with an input the page has no control for, and runs nothing by name."""

    network = "G"
    uses = property(lambda self: {"sample": ("z",), "morph": ("image", "audio")})
    module = property(lambda self: nn.Identity())

    def export_spec(self):
        raise NotImplementedError


def test_what_the_page_cannot_run_is_one_sentence_instead_of_a_form():
    forms = _by_id(describe(Odd()))
    assert "no control for the input 'audio' of the use morph" in forms["morph"]["problem"]
    assert "cannot run it by name" in forms["sample"]["problem"] and not runs_by_name(Odd())
    assert "sample-walk" not in forms  # no walk for a use that cannot run
    (enc,) = describe(encoder(), has_gallery=False)
    assert enc["problem"] == "There is no gallery of images to search with the codes of encode."
