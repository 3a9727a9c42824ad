"""The demo page's forms, described from what the model declares: one form per use, built from
the use's inputs, so a family added later gets its form without an edit here.

Each input name of ``inference/uses.py``'s ``INPUTS`` has a control:

    z      latent   a seed, a truncation and how many samples (a grid); a walk: two sample
                    indices and the number of frames between them
    y      class    a class picker (with "every class in turn" for ``sample``)
    text   caption  a text box
    image  image    a file upload
    mask   mask     a file upload, or strokes drawn over the image

``describe`` gives the page a JSON list: per form its id, use, meaning, mode (``grid``, ``walk``
or ``upload``), inputs (name, control and what ``InferenceModel.input_info`` says: a latent's
``dim``, the class names, an image's channels and size) and, when the page cannot run it, a
``problem`` in one sentence that the page shows instead of controls: an input without a control,
a model that cannot run the use by name (``InferenceModel.infer``), a ``code`` output without a
gallery to search.
"""

from __future__ import annotations

from typing import Any

from ganforge.inference.uses import OUTPUTS, USES, InferenceModel

CONTROLS: dict[str, str] = {
    "z": "latent",
    "y": "class",
    "text": "caption",
    "image": "image",
    "mask": "mask",
}
"""Input name -> the control the page draws for it."""


def runs_by_name(model: InferenceModel) -> bool:
    """Whether the model overrides ``InferenceModel.infer`` (else only its commands run it)."""
    return type(model).infer is not InferenceModel.infer


def _problem(model: InferenceModel, use: str, has_gallery: bool) -> str | None:
    unknown = [name for name in model.uses[use] if name not in CONTROLS]
    if unknown:
        return (
            f"The page has no control for the input {unknown[0]!r} of the use {use}: run it from "
            "the command line or Python (model.infer)."
        )
    if not runs_by_name(model):
        return (
            f"This {type(model).__name__} declares {use} but cannot run it by name "
            "(InferenceModel.infer): use the command made for it."
        )
    if OUTPUTS.get(use) == "code" and not has_gallery:
        return f"There is no gallery of images to search with the codes of {use}."
    return None


def _input(model: InferenceModel, use: str, name: str) -> dict[str, Any]:
    info = {
        key: list(v) if isinstance(v, tuple) else v for key, v in model.input_info(name).items()
    }
    if name == "y" and use == "sample":
        info["cycle"] = True  # ganforge sample's default: sample i has class i mod K
    return {"name": name, "control": CONTROLS.get(name, "none"), **info}


def describe(model: InferenceModel, has_gallery: bool = False) -> list[dict[str, Any]]:
    """The forms of ``model``'s uses, in the order it declares them, and a latent walk for the
    first use that takes ``z`` and draws images."""
    forms = []
    walk = None
    for use, names in model.uses.items():
        problem = _problem(model, use, has_gallery)
        form = {
            "id": use,
            "use": use,
            "meaning": USES.get(use, ""),
            "mode": "grid" if "z" in names else "upload",
            "inputs": [_input(model, use, name) for name in names],
            "output": OUTPUTS.get(use, "image"),
            "problem": problem,
        }
        forms.append(form)
        if walk is None and "z" in names and problem is None and form["output"] == "image":
            walk = {
                **form,
                "id": f"{use}-walk",
                "mode": "walk",
                "meaning": f"a latent walk between two samples ({use})",
            }
    if walk is not None:
        forms.append(walk)
    return forms
