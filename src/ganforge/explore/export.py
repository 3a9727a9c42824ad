"""Ship a generator alone: ONNX, TorchScript, or safetensors weights with a JSON config.

After training the discriminator is no longer needed (DCGAN, Radford, Metz & Chintala 2016,
section 5.1 goes the other way and reuses D as a feature extractor; for image synthesis G is the
product). Two kinds of generator are exported, each with fixed names in every format:

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file
from torch import Tensor, nn

from ganforge.config import config_from_dict
from ganforge.errors import GanforgeError
from ganforge.explore.outputs import atomic_path
from ganforge.images import atomic_write_bytes
from ganforge.inference.translator import Translator
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
"""A run opened by ``load_run``: its ``model`` is a NoiseGenerator or a Translator."""


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


@dataclass
class ExportSpec:
    """One generator as every format sees it: a module, example inputs and their names."""

    module: nn.Module
    """Eval-mode wrapper whose forward takes the named inputs in order."""
    example: tuple[Tensor, ...]
    input_names: list[str]
    output_name: str
    dynamic_shapes: dict[str, dict[int, Any]]
    """torch.export dims per input name (the argument names of ``module.forward``)."""
    config: dict[str, Any]
    """The JSON every format carries."""
    net: nn.Module
    """The generator itself: its state dict is the safetensors export."""
    probes: list[tuple[Tensor, ...]]
    """Seeded inputs of other shapes than ``example``, for the ONNX parity check."""


class _Unconditional(nn.Module):
    """G with the signature every format records: forward(z) -> image."""

    def __init__(self, G: nn.Module) -> None:
        super().__init__()
        self.G = G

    def forward(self, z: Tensor) -> Tensor:
        return self.G(z)


class _Conditional(nn.Module):
    """forward(z, y) -> image."""

    def __init__(self, G: nn.Module) -> None:
        super().__init__()
        self.G = G

    def forward(self, z: Tensor, y: Tensor) -> Tensor:
        return self.G(z, y)


class _Translation(nn.Module):
    """forward(input) -> output: the image-to-image generator, named for torch.export."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002  (the exported input's name)
        return self.net(input)


def _versions(model: Exportable) -> dict[str, Any]:
    return {
        "ema": model.used_ema,
        "images_seen": model.images_seen,
        "checkpoint": model.checkpoint.name,
        "config": model.cfg.to_dict(),
        "ganforge": __version__,
        "torch": torch.__version__,
    }


def generator_config(run: LoadedRun) -> dict[str, Any]:
    """What a consumer of an exported noise-to-image generator needs to know, as JSON."""
    toy = run.cfg.data.is_toy
    shape = [2] if toy else [run.cfg.data.channels, *run.cfg.data.size]
    inputs: dict[str, Any] = {"z": {"shape": ["batch", run.z_dim], "dtype": "float32"}}
    if run.num_classes:
        inputs["y"] = {"shape": ["batch"], "dtype": "int64", "classes": run.num_classes}
    return {
        "format": FORMAT,
        "task": run.cfg.model.task,
        "network": run.model.network,
        "inputs": inputs,
        "output": {
            "name": "points" if toy else "image",
            "shape": ["batch", *shape],
            "range": [-1, 1],
        },
        "z_dim": run.z_dim,
        "num_classes": run.num_classes,
        "class_names": run.class_names,
        **_versions(run),
    }


def translator_config(run: LoadedRun) -> dict[str, Any]:
    """What a consumer of an exported image-to-image generator needs to know, as JSON."""
    tr: Translator = run.model
    c, s = tr.channels, tr.scale
    out_hw = ["height", "width"] if s == 1 else [f"{s}*height", f"{s}*width"]
    return {
        "format": FORMAT,
        "task": run.cfg.model.task,
        "direction": tr.direction,
        "network": tr.network,
        "inputs": {
            "input": {
                "shape": ["batch", c, "height", "width"],
                "dtype": "float32",
                "range": [-1, 1],
            }
        },
        "output": {"name": "output", "shape": ["batch", c, *out_hw], "range": [-1, 1]},
        "channels": c,
        "size_multiple": tr.multiple,
        "min_size": tr.net_min_size,
        "scale": s,
        "note": "height and width: multiples of size_multiple, at least min_size; pixels "
        "(x / 127.5 - 1) in, (y + 1) * 127.5 out",
        **_versions(run),
    }


def _noise_spec(run: LoadedRun) -> ExportSpec:
    G = run.G.cpu().eval()
    batch = torch.export.Dim("batch", min=1)

    def inputs(n: int) -> tuple[Tensor, ...]:
        z = torch.randn(n, run.z_dim, generator=torch.Generator().manual_seed(n))
        return (z, torch.arange(n) % run.num_classes) if run.num_classes else (z,)

    names = ["z", "y"] if run.num_classes else ["z"]
    module = _Conditional(G) if run.num_classes else _Unconditional(G)
    return ExportSpec(
        module=module.eval(),
        example=inputs(2),
        input_names=names,
        output_name=generator_config(run)["output"]["name"],
        dynamic_shapes={name: {0: batch} for name in names},
        config=generator_config(run),
        net=G,
        probes=[inputs(1), inputs(3)],
    )


def _translation_spec(run: LoadedRun) -> ExportSpec:
    tr: Translator = run.model
    net = tr.net.cpu().eval()
    m = tr.multiple
    blocks = -(-tr.net_min_size // m)  # the fewest multiples of m an input side may have
    if m == 1:
        height, width = (
            torch.export.Dim("height", min=blocks),
            torch.export.Dim("width", min=blocks),
        )
    else:
        # Sides are k * m: a U-Net's skip connections only line up at multiples of 2^depth.
        height = m * torch.export.Dim("height_blocks", min=blocks)
        width = m * torch.export.Dim("width_blocks", min=blocks)
    # Sizes other than 0 and 1 (which torch.export would specialise), not square, above the minimum.
    k = max(blocks, 2)

    def image(n: int, kh: int, kw: int) -> Tensor:
        g = torch.Generator().manual_seed(1000 * n + kh)
        return torch.rand(n, tr.channels, kh * m, kw * m, generator=g) * 2 - 1

    return ExportSpec(
        module=_Translation(net).eval(),
        example=(image(2, k, k + 1),),
        input_names=["input"],
        output_name="output",
        dynamic_shapes={"input": {0: torch.export.Dim("batch", min=1), 2: height, 3: width}},
        config=translator_config(run),
        net=net,
        probes=[(image(1, k + 1, k),), (image(3, blocks, k + 2),)],
    )


def spec_of(model: Exportable) -> ExportSpec:
    """The export spec of a noise-to-image run or of one direction of an image-to-image run."""
    return _translation_spec(model) if isinstance(model.model, Translator) else _noise_spec(model)


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
    return model.net if isinstance(model, Translator) else model.G


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
