"""inference/uses.py: what a model declares it can be used for, and the one error for a use it
lacks."""

import pytest
from torch import nn

from ganforge.errors import GanforgeError, MissingUse
from ganforge.inference.uses import USES, InferenceModel, require_any


class Encoder(InferenceModel):
    """A model of a family the commands have never heard of: it only encodes."""

    network = "encoder"

    def __init__(self) -> None:
        self.net = nn.Linear(4, 2)

    @property
    def uses(self):
        return {"encode": ("image",)}

    @property
    def module(self):
        return self.net

    def export_spec(self):
        raise NotImplementedError


def test_the_use_names_every_family_shares():
    assert set(USES) == {"sample", "class", "text", "translate", "upscale", "inpaint", "encode"}
    assert all(isinstance(v, str) and v for v in USES.values())


def test_require_returns_the_model_or_names_the_uses_it_has():
    model = Encoder()
    assert model.can("encode") and not model.can("sample")
    assert model.require("encode") is model
    with pytest.raises(MissingUse) as e:
        model.require("sample", "runs/x (a toy-ae run)", "`ganforge sample`")
    assert str(e.value) == (
        "runs/x (a toy-ae run) cannot sample (draw images from noise), which `ganforge sample` "
        "needs; its uses: encode"
    )
    assert e.value.have == ("encode",) and isinstance(e.value, GanforgeError)


def test_require_any_takes_the_first_use_the_model_has():
    model = Encoder()
    assert require_any(model, ("translate", "encode"), "r", "c") is model
    with pytest.raises(MissingUse, match="cannot translate"):
        require_any(model, ("translate", "upscale"), "r", "c")


def test_an_inference_model_must_declare_its_uses_module_and_export():
    class Partial(InferenceModel):
        pass

    with pytest.raises(TypeError, match="abstract"):
        Partial()


def test_every_use_has_an_output_kind_and_inputs_are_described():
    from ganforge.inference.uses import INPUTS, OUTPUTS

    assert set(OUTPUTS) == set(USES) and set(OUTPUTS.values()) == {"image", "code"}
    assert set(INPUTS) == {"z", "y", "text", "image", "mask"}


def test_a_model_runs_a_use_by_name_only_when_it_says_how():
    from ganforge.inference.uses import check_call

    model = Encoder()
    with pytest.raises(GanforgeError, match="declares the use encode but cannot run it by name"):
        model.infer("encode", {"image": None})
    assert model.input_info("image") == {}
    check_call(model, "encode", {"image": None})  # declared, complete: no error
    with pytest.raises(GanforgeError, match=r"takes the inputs image; missing: image"):
        check_call(model, "encode", {"z": None})
    with pytest.raises(MissingUse, match="this Encoder cannot sample"):
        check_call(model, "sample", {})
