"""Ship a generator alone: ONNX, TorchScript, or safetensors weights with a JSON config.

After training the discriminator is no longer needed (DCGAN, Radford, Metz & Chintala 2016,
section 5.1 goes the other way and reuses D as a feature extractor; for image synthesis G is the
product). The model declares what its export takes (``InferenceModel.export_spec``,
inference/uses.py); the two built-in kinds, each with fixed names in every format:

Noise-to-image runs (``runs.load_run``):

    z      (batch, z_dim) float32, standard normal (``ganforge.explore.latents`` reproduces ours)
    y      (batch,) int64 class labels, only for class-conditional runs
    image  (batch, C, H, W) float32 in [-1, 1]  (``points`` (batch, 2) for the 2-D toy runs)

with the batch axis dynamic. The weights are the EMA copy unless ``ema=False``.

Image-to-image runs (pix2pix, CycleGAN, SRGAN: ``load_run(..., direction=...)``, one direction; a
CycleGAN run exports G for AtoB and F for BtoA):

    input   (batch, C, height, width) float32 in [-1, 1]
    output  (batch, C, scale * height, scale * width) float32 in [-1, 1]

with batch, height and width dynamic. height and width must be multiples of ``size_multiple`` and
at least ``min_size`` (both in the JSON config): the graph does not pad. ``ganforge translate``
pads other sizes (replicating the border) and crops the result; a consumer of the file does the
same. pix2pix's generator is exported in eval mode (dropout off), as ``translate`` runs it.

Inpainting runs (``inference/inpainter.py``):

    image   (batch, C, height, width) float32 in [-1, 1]
    mask    (batch, 1, height, width) float32, 1 = missing
    output  (batch, C, height, width) float32 in [-1, 1]: the fill in the hole, the image elsewhere

with batch, height and width dynamic (multiples of ``size_multiple``; ``ganforge inpaint`` pads).

- ONNX: the ``torch.export``-based exporter (``dynamo=True``; the TorchScript-based one is
  deprecated since PyTorch 2.9), which needs ``onnx`` and ``onnxscript`` (``pip install
  'ganforge[export]'``). The ganforge config is stored in the model's metadata_props.
- TorchScript: ``torch.jit.trace`` of the generator; loads with ``torch.jit.load`` (or LibTorch)
  without ganforge installed. The config travels as the extra file ``ganforge.json``.
- safetensors: G's state dict, the config in the file's metadata and in ``<name>.json`` beside it
  (the two are published together: neither is left alone by a failed export);
  :func:`load_generator` rebuilds the module.
"""

from __future__ import annotations

import contextlib
import json
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file
from torch import nn

from ganforge.config import config_from_dict
from ganforge.errors import GanforgeError
from ganforge.explore.outputs import atomic_path
from ganforge.images import atomic_write_bytes
from ganforge.inference.export_spec import ExportSpec
from ganforge.runs import LoadedRun
from ganforge.tasks.registry import task_class
from ganforge.version import __version__

FORMAT = "ganforge-generator-1"
SUFFIXES = {
    "onnx": (".onnx",),
    "torchscript": (".pt", ".ts", ".torchscript"),
    "safetensors": (".safetensors",),
}
Exportable = LoadedRun
"""A run opened by ``load_run``: its ``model`` declares its export (``export_spec``)."""


def format_for(out: str | Path, fmt: str | None) -> str:
    """The export format: given, or inferred from the file name; a mismatch is an error."""
    suffix = Path(out).suffix.lower()
    if fmt is None:
        for name, sufs in SUFFIXES.items():
            if suffix in sufs:
                return name
        raise GanforgeError(
            f"--out {out}: give --format onnx|torchscript|safetensors or a name ending in "
            ".onnx, .pt or .safetensors"
        )
    if fmt not in SUFFIXES:
        raise GanforgeError(f"--format {fmt} is not one of onnx, torchscript, safetensors")
    if suffix not in SUFFIXES[fmt]:
        raise GanforgeError(f"--out {out}: a {fmt} file should end in {' or '.join(SUFFIXES[fmt])}")
    return fmt


# --------------------------------------------------------------------------- what is exported


def _versions(model: Exportable) -> dict[str, Any]:
    return {
        "ema": model.used_ema,
        "images_seen": model.images_seen,
        "checkpoint": model.checkpoint.name,
        "config": model.cfg.to_dict(),
        "ganforge": __version__,
        "torch": torch.__version__,
    }


def spec_of(run: Exportable) -> ExportSpec:
    """The export of a run's model (``InferenceModel.export_spec``: the model declares its own
    inputs), with the run's provenance added to the JSON every format carries."""
    spec = run.model.export_spec()
    spec.config = {
        "format": FORMAT,
        "task": run.cfg.model.task,
        **spec.config,
        **_versions(run),
    }
    return spec


# --------------------------------------------------------------------------- the three formats


@contextlib.contextmanager
def _quiet_exporters() -> Iterator[None]:
    """Exporter chatter a user cannot act on: torch.jit's deprecation notice (TorchScript is what
    was asked for), the ONNX registry's notes about torchvision ops, the shared-axis notice."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            # z and y share one batch Dim, which the exporter reports as a naming clash.
            warnings.filterwarnings("ignore", message=r".*axis name.* will not be used")
            # Instance norm's argument checks trace as constants; they hold at every size, and the
            # tests run traced files at other sizes than the example.
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            yield
    finally:
        logger.setLevel(level)


def export_onnx(model: Exportable, out: str | Path, opset: int | None = None) -> Path:
    """ONNX with the named inputs and output of the module docstring and dynamic axes."""
    try:
        import onnx
        import onnxscript  # noqa: F401  (the torch.export-based exporter needs it)
    except ImportError:
        raise GanforgeError(
            "ONNX export needs onnx and onnxscript: pip install 'ganforge[export]'"
        ) from None
    spec = spec_of(model)
    with atomic_path(out) as tmp, _quiet_exporters():
        try:
            torch.onnx.export(
                spec.module,
                spec.example,
                str(tmp),
                dynamo=True,
                external_data=False,  # one self-contained file
                input_names=spec.input_names,
                output_names=[spec.output_name],
                dynamic_shapes=spec.dynamic_shapes,
                opset_version=opset,
                verbose=False,
            )
        except Exception as e:  # torch.export's errors run to pages; the first line says what
            first = (str(e).strip().splitlines() or [type(e).__name__])[0][:300]
            raise GanforgeError(
                f"the ONNX exporter failed ({type(e).__name__}: {first}); nothing written: "
                "please report this"
            ) from None
        proto = onnx.load(str(tmp))
        onnx.helper.set_model_props(proto, {"ganforge": json.dumps(spec.config)})
        onnx.save(proto, str(tmp))
    return Path(out)


def export_torchscript(model: Exportable, out: str | Path) -> Path:
    """A traced TorchScript module; ``torch.jit.load`` needs nothing but torch."""
    spec = spec_of(model)
    with atomic_path(out) as tmp, _quiet_exporters(), torch.no_grad():
        traced = torch.jit.trace(spec.module, spec.example)
        extra = {"ganforge.json": json.dumps(spec.config)}
        torch.jit.save(traced, str(tmp), _extra_files=extra)
    return Path(out)


def export_safetensors(model: Exportable, out: str | Path) -> Path:
    """G's weights with the config in the metadata and in ``<name>.json`` beside them.

    Both files are written under temporary names first; the JSON is renamed into place, then the
    weights. Should that last rename fail, the JSON is put back as it was (removed, or the older
    export's restored), so a failed export never leaves a JSON that does not match the weights.
    """
    out = Path(out)
    side = out.with_suffix(".json")
    spec = spec_of(model)
    cfg = json.dumps(spec.config, indent=2)
    state = {k: v.detach().cpu().contiguous() for k, v in spec.net.state_dict().items()}
    older = side.read_bytes() if side.is_file() else None
    side_published = False
    try:
        with atomic_path(out) as tmp:
            save_file(state, str(tmp), metadata={"format": FORMAT, "config": cfg})
            with atomic_path(side) as tmp_side:
                tmp_side.write_bytes((cfg + "\n").encode())
            side_published = True
    except BaseException:
        if side_published and older is None:
            side.unlink(missing_ok=True)
        elif side_published:
            atomic_write_bytes(side, older)
        raise
    return out


EXPORTERS = {
    "onnx": export_onnx,
    "torchscript": export_torchscript,
    "safetensors": export_safetensors,
}


def load_generator(path: str | Path, device: str | torch.device = "cpu") -> nn.Module:
    """Rebuild the generator from a safetensors export (eval mode, no gradients), through its
    task's ``open`` as if the weights were a checkpoint holding that one network."""
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
        state = load_file(str(path))
    except (SafetensorError, OSError) as e:
        raise GanforgeError(f"{path} is not a readable safetensors file ({e})") from None
    if meta.get("format") != FORMAT:
        raise GanforgeError(f"{path} is not a generator exported by `ganforge export`")
    try:
        info = json.loads(meta["config"])
        cfg = config_from_dict(info["config"])
        network = info.get("network", "G")
        checkpoint = {
            "nets": {network: state},
            "meta": {
                "data": {
                    "num_classes": info.get("num_classes", 0),
                    "class_names": info.get("class_names", []),
                }
            },
        }
        options = {"direction": info["direction"]} if "direction" in info else {}
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise GanforgeError(f"{path}: its export metadata is malformed ({e})") from None
    model, _ = task_class(cfg).open(cfg, checkpoint, ema=False, device=device, **options)
    return model.module


def onnx_max_difference(path: str | Path, model: Exportable) -> float | None:
    """Largest |onnxruntime - PyTorch| over seeded inputs of other batch sizes (and, for image
    inputs, other heights and widths) than the traced example (None without onnxruntime): the
    check that the exported graph computes what G computes."""
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    spec = spec_of(model)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    worst = 0.0
    for probe in spec.probes:
        feed = {name: t.numpy() for name, t in zip(spec.input_names, probe)}
        (got,) = session.run(None, feed)
        with torch.no_grad():
            want = spec.module(*probe).numpy()
        if got.shape != want.shape:
            return float("inf")
        worst = max(worst, float(abs(got - want).max()))
    return worst
