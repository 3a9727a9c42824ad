"""The demo's application: a model, the forms it declares, and one call per request.

``Demo.call(form, values)`` turns the page's values into the use's inputs (``INPUTS`` of
inference/uses.py), runs ``model.infer`` (the same inference object and code path as the commands:
``translate_tensor``, ``inpaint_batch``, G(z, y), ``encode``) and gives the page a PNG as a data
URL with a caption. Bad values are one-line ``GanforgeError``\\ s, shown in the page:

    latent   ``seed`` (0 to 2^63 - 1), ``truncation`` (empty or > 0) and ``n`` (1 to
             ``MAX_SAMPLES``): samples 0..n-1 of the seed (explore/latents.py: sample i of a seed
             is the image ``ganforge sample --seed`` draws as sample i); a walk: samples ``a`` and
             ``b`` of the seed and ``steps`` frames (2 to ``MAX_STEPS``) on the straight line or
             the great circle between them (explore/interpolate.py: the ends are those samples)
    class    ``y``: a class index, or empty for every class in turn (sample i: class i mod K)
    caption  ``text``: 1 to ``MAX_TEXT`` characters, the same caption for every sample
    image    ``image``: a data URL (uploads.py), resized to the model's size when it has one
    mask     ``mask``: a data URL, white = missing, of the image's size

Calls run one at a time (a lock): a second request waits instead of doubling the memory.
"""

from __future__ import annotations

import base64
import io
import threading
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from ganforge.demo.forms import describe
from ganforge.demo.neighbours import Gallery
from ganforge.demo.uploads import read_upload_image, read_upload_mask
from ganforge.errors import GanforgeError
from ganforge.explore import latents as L
from ganforge.explore.figure import auto_scale, upscale
from ganforge.explore.interpolate import path
from ganforge.images import make_grid, to_pil
from ganforge.inference.uses import InferenceModel

MAX_SAMPLES = 64
"""Most samples one grid request draws."""
MAX_STEPS = 16
"""Most frames of a walk."""
MAX_TEXT = 500
"""Longest caption, in characters."""
NEIGHBOURS = 8
"""Gallery images shown for an encoded upload."""


def png_data_url(images: Tensor, nrow: int | None = None) -> str:
    """uint8 (N, C, H, W) -> a PNG grid as a ``data:image/png;base64,`` URL, enlarged to ~64 px
    per tile the way the figures are (nearest neighbour)."""
    big = upscale(images, auto_scale(int(images.shape[-1])))
    buf = io.BytesIO()
    to_pil(make_grid(big, nrow)).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _int(values: dict[str, Any], key: str, lo: int, hi: int, default: int | None = None) -> int:
    raw = values.get(key, default)
    if raw is None or raw == "":
        if default is None:
            raise GanforgeError(f"give {key} (a whole number from {lo} to {hi})")
        raw = default
    try:
        v = int(str(raw).strip())
    except ValueError:
        raise GanforgeError(f"{key} {raw!r} is not a whole number: use {lo} to {hi}") from None
    if not lo <= v <= hi:
        raise GanforgeError(f"{key} {v} is out of range: use {lo} to {hi}")
    return v


def _truncation(values: dict[str, Any]) -> float | None:
    raw = values.get("truncation")
    if raw is None or str(raw).strip() == "":
        return None
    try:
        t = float(str(raw).strip())
    except ValueError:
        raise GanforgeError(
            f"truncation {raw!r} is not a number: e.g. 0.7, or empty for none"
        ) from None
    if not (t > 0 and t < float("inf")):
        raise GanforgeError(
            f"truncation {t} must be a positive number (e.g. 0.7), or empty for none"
        )
    return t


@dataclass
class Demo:
    """What the server serves: ``model``'s uses as forms and calls."""

    model: InferenceModel
    title: str = "ganforge demo"
    gallery: Gallery | None = None
    """Images the ``encode`` use searches (the run's data); None: that form says so."""
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def forms(self) -> list[dict[str, Any]]:
        return describe(self.model, self.gallery is not None)

    def form(self, form_id: object) -> dict[str, Any]:
        forms = {f["id"]: f for f in self.forms()}
        if form_id not in forms:
            raise GanforgeError(
                f"this model has no form {form_id!r}: it has {', '.join(forms) or 'none'}"
            )
        form = forms[form_id]
        if form["problem"]:
            raise GanforgeError(form["problem"])
        return form

    def call(self, form_id: object, values: dict[str, Any]) -> dict[str, str]:
        """Run form ``form_id`` on the page's ``values`` -> {"image": data URL, "caption": ...}."""
        if not isinstance(values, dict):
            raise GanforgeError("the request's values must be a JSON object")
        form = self.form(form_id)
        with self._lock, torch.no_grad():
            inputs, caption, nrow = self._inputs(form, values)
            out = self.model.infer(form["use"], inputs)
            if form["output"] == "code":
                return self._neighbours(form["use"], inputs, out)
            if not (isinstance(out, Tensor) and out.dtype == torch.uint8 and out.ndim == 4):
                got = tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__
                raise GanforgeError(
                    f"the use {form['use']} gave {got}, not images: the page shows images only "
                    "(a 2-D toy run's points: `ganforge sample RUN --out points.npz`)"
                )
            return {"image": png_data_url(out, nrow), "caption": caption}

    # ------------------------------------------------------------------ values -> inputs
    def _inputs(
        self, form: dict[str, Any], values: dict[str, Any]
    ) -> tuple[dict[str, Any], str, int | None]:
        """The use's inputs from the page's values, a caption, and the grid's row length."""
        spec = {i["name"]: i for i in form["inputs"]}
        inputs: dict[str, Any] = {}
        words: list[str] = []
        n, nrow = 1, None
        if "z" in spec:
            seed = _int(values, "seed", 0, L.MAX_INDEX)
            t = _truncation(values)
            dim = int(spec["z"]["dim"])
            if form["mode"] == "walk":
                a = _int(values, "a", 0, L.MAX_INDEX, 0)
                b = _int(values, "b", 0, L.MAX_INDEX, 1)
                n = nrow = _int(values, "steps", 2, MAX_STEPS, 8)
                ends = L.latents(seed, [a, b], dim, t)  # (2, dim)
                inputs["z"] = path(ends[0], ends[1], n, bool(values.get("spherical"))).float()
                index = torch.full((n,), a)
                words.append(f"walk from sample {a} to {b} of seed {seed}, {n} frames")
            else:
                n = _int(values, "n", 1, MAX_SAMPLES, 16)
                index = torch.arange(n)
                inputs["z"] = L.latents(seed, index, dim, t)
                words.append(f"samples 0-{n - 1} of seed {seed}")
            if t is not None:
                words.append(f"truncation {t:g}")
        if "y" in spec:
            classes = spec["y"].get("classes") or []
            k = len(classes)
            raw = values.get("y")
            cycle = (raw is None or raw == "") and spec["y"].get("cycle")
            # Every class in turn: sample i has class i mod K (a walk: the start sample's class).
            label = None if cycle else _int(values, "y", 0, max(k - 1, 0))
            if "z" in spec:
                inputs["y"] = L.labels(index, k, label)
            else:
                inputs["y"] = torch.full((n,), label or 0)
            if label is None:
                words.append("every class in turn" if form["mode"] != "walk" else "its class")
            else:
                words.append(f"class {classes[label] if label < k else label}")
        if "text" in spec:
            text = str(values.get("text") or "").strip()
            if not text:
                raise GanforgeError("write a caption first")
            if len(text) > MAX_TEXT:
                raise GanforgeError(f"the caption is over {MAX_TEXT} characters: shorten it")
            inputs["text"] = [text] * n
            words.append(f"caption {text!r}")
        if "image" in spec:
            info = spec["image"]
            size = info.get("size")
            image = read_upload_image(
                values.get("image"),
                int(info.get("channels", 3)),
                None if size is None else (int(size[0]), int(size[1])),
                str(info.get("background", "white")),
            )  # (C, H, W)
            inputs["image"] = image[None]
            h, w = image.shape[-2:]
            words.append(f"the {w}x{h} upload")
            if "mask" in spec:
                inputs["mask"] = read_upload_mask(values.get("mask"), (int(h), int(w)))[None]
                words.append("its mask")
        elif "mask" in spec:
            raise GanforgeError(f"the use {form['use']} takes a mask without an image")
        return inputs, ", ".join(words), nrow

    def _neighbours(self, use: str, inputs: dict[str, Any], code: Tensor) -> dict[str, str]:
        assert self.gallery is not None  # describe() gave the form a problem otherwise

        def encode(images: Tensor) -> Tensor:
            return torch.cat(
                [
                    self.model.infer(use, {"image": images[i : i + 256]})
                    for i in range(0, len(images), 256)
                ]
            )

        images, dist, ids = self.gallery.nearest(code[0], encode, NEIGHBOURS)
        query = inputs["image"]
        tiles = torch.cat([query, images]) if query.shape[1:] == images.shape[1:] else images
        found = ", ".join(f"{i} ({d:.3g})" for i, d in zip(ids, dist.tolist()))
        return {
            "image": png_data_url(tiles, len(tiles)),
            "caption": f"the upload, then its {len(ids)} nearest gallery images: {found}",
        }
