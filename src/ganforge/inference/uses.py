"""What a trained model can be used for: its uses, declared by name with the inputs of each.

Every inference object (``InferenceModel``: what ``Task.open`` returns and ``load_run`` hands the
commands) declares its uses; a command asks for the use it needs (``LoadedRun.require("sample")``)
instead of testing what type the object is, so a family added later (an encoder, a text-to-image
generator, an inpainter) is found by ``sample``, ``export``, ``eval``, ``report`` and the demo
without an edit to any of them (the way diffusers pipelines declare ``prompt``, ``image`` and
``mask_image``). The names, shared by every family:

    sample     draw from noise                      inputs: z (and y on a class-conditional run)
    class      condition on a class label           inputs: z, y
    text       condition on a caption               inputs: z, text
    translate  map an image to another domain       inputs: image
    upscale    super-resolve an image               inputs: image
    inpaint    fill the missing pixels of an image  inputs: image, mask
    encode     map an image to a code               inputs: image
               (``model.encode(images)``: uint8 (N, C, H, W) of the run's data shape -> float
               (N, code); ``ganforge dedup`` hashes these codes)

A model declares the inputs its export takes too (``InferenceModel.export_spec``): the exported
graph's named inputs (``z``/``y``, ``input``, ``image``/``mask``, ...).

A use is also run by name: ``model.infer(use, inputs)`` takes the declared inputs as the values of
``INPUTS`` and gives the use's output (``OUTPUTS``); ``model.input_info(name)`` says what a caller
needs to build an input beyond its kind (a latent's ``dim``, a label's ``classes``, an image's
``channels``). The web demo (``ganforge demo``) builds its forms and calls from these alone, so a
family that declares a use and implements ``infer`` appears there without an edit to the demo.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

from torch import nn

from ganforge.errors import GanforgeError, MissingUse

if TYPE_CHECKING:  # annotations only: export_spec imports nothing of this module at run time
    from ganforge.inference.export_spec import ExportSpec

USES: dict[str, str] = {
    "sample": "draw images from noise",
    "class": "condition samples on a class label",
    "text": "condition samples on a caption",
    "translate": "map an image to an image of another domain",
    "upscale": "super-resolve an image",
    "inpaint": "fill the missing pixels of an image",
    "encode": "map an image to a code",
}
"""Every use a model may declare, with what it means (a plug-in may declare one of its own, but
the commands and the demo only know these)."""

INPUTS: dict[str, str] = {
    "z": "latents: float32 (N, dim), standard normal",
    "y": "class labels: int64 (N,)",
    "text": "captions: a list of N strings",
    "image": "images: uint8 (N, C, H, W)",
    "mask": "masks: float32 (N, 1, H, W), 1 = missing, 0 = known",
}
"""Every input name a use may declare, with the value ``infer`` takes for it."""

OUTPUTS: dict[str, str] = {
    **{use: "image" for use in ("sample", "class", "text", "translate", "upscale", "inpaint")},
    "encode": "code",
}
"""What ``infer`` gives for each use: ``image``, uint8 (N, C, H, W) (a 2-D toy's ``sample``:
float32 (N, 2) points), or ``code``, float32 (N, code)."""


class InferenceModel(ABC):
    """A trained model ready for inference: what it can do (``uses``), the module it runs
    (``module``) and how it exports (``export_spec``)."""

    # Subclasses (dataclasses) have a field ``network``: which of the run's networks ``module``
    # is (its key in the checkpoint); exports record it.
    network: str

    @property
    @abstractmethod
    def uses(self) -> dict[str, tuple[str, ...]]:
        """Use name -> the inputs it takes, e.g. ``{"sample": ("z",)}``."""

    @property
    @abstractmethod
    def module(self) -> nn.Module:
        """The network inference runs (eval mode, no gradients)."""

    @abstractmethod
    def export_spec(self) -> ExportSpec:
        """The exported graph: its module, named inputs, example and probe inputs, and the JSON
        describing them (``inference/export_spec.py``)."""

    def describe(self) -> str:
        """A few words naming the exported network (``ganforge export``'s message)."""
        return "generator"

    def infer(self, use: str, inputs: dict[str, Any]) -> Any:
        """Run ``use`` on ``inputs`` (input name -> its value, as ``INPUTS`` describes) -> the
        use's output (``OUTPUTS``). A model that does not override it can be used by the commands
        made for it, not by name."""
        raise GanforgeError(
            f"{type(self).__name__} declares the use {use} but cannot run it by name "
            "(InferenceModel.infer): use the command made for it"
        )

    def input_info(self, name: str) -> dict[str, Any]:
        """What building input ``name`` takes beyond its kind: ``{"dim": 128}`` for ``z``,
        ``{"classes": [...]}`` for ``y``, ``{"channels": 3, "size": None}`` for ``image``
        (``size``: (H, W) the model needs, None for any); empty by default."""
        return {}

    def companion_files(self) -> dict[str, bytes]:
        """Files an export ships beside the exported graph, by name (a text model's
        ``tokenizer.json``); none by default."""
        return {}

    def can(self, use: str) -> bool:
        return use in self.uses

    def require(self, use: str, what: str = "this run", command: str = "this command") -> Any:
        """``self`` when it declares ``use``; else a one-line ``MissingUse`` naming the uses it
        has (``what`` names the run, e.g. its folder and task)."""
        if use in self.uses:
            return self
        have = tuple(self.uses)
        meaning = USES.get(use, use)
        raise MissingUse(
            f"{what} cannot {use} ({meaning}), which {command} needs; its uses: "
            f"{', '.join(have) or 'none'}",
            have,
        )


def check_call(model: InferenceModel, use: str, inputs: dict[str, Any]) -> None:
    """Refuse in one line a call of ``infer`` with a use ``model`` does not declare, or without
    one of the use's inputs."""
    model.require(use, f"this {type(model).__name__}", "this call")
    missing = [name for name in model.uses[use] if name not in inputs]
    if missing:
        raise GanforgeError(
            f"the use {use} takes the inputs {', '.join(model.uses[use])}; missing: "
            f"{', '.join(missing)}"
        )


def require_any(model: InferenceModel, uses: tuple[str, ...], what: str, command: str) -> Any:
    """``model`` when it declares any of ``uses`` (a command that serves several), else the one
    error for the first."""
    for use in uses:
        if model.can(use):
            return model
    return model.require(uses[0], what, command)
