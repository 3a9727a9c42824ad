"""Ship the generator alone: ONNX, TorchScript, or safetensors weights with a JSON config.

After training the discriminator is no longer needed (DCGAN, Radford, Metz & Chintala 2016,
section 5.1 goes the other way and reuses D as a feature extractor; for image synthesis G is the
product). Every format takes the same inputs and gives the same output:

    z      (batch, z_dim) float32, standard normal (``ganforge.explore.latents`` reproduces ours)
    y      (batch,) int64 class labels, only for class-conditional runs
    image  (batch, C, H, W) float32 in [-1, 1]  (``points`` (batch, 2) for the 2-D toy runs)

with the batch axis dynamic. The weights are the EMA copy unless ``ema=False``.

- ONNX: the ``torch.export``-based exporter (``dynamo=True``; the TorchScript-based one is
  deprecated since PyTorch 2.9), which needs ``onnx`` and ``onnxscript`` (``pip install
  'ganforge[export]'``). The ganforge config is stored in the model's metadata_props.
- TorchScript: ``torch.jit.trace`` of the generator; loads with ``torch.jit.load`` (or LibTorch)
  without ganforge installed. The config travels as the extra file ``ganforge.json``.
- safetensors: G's state dict, the config in the file's metadata and in ``<name>.json`` beside it;
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
from torch import Tensor, nn

import ganforge
from ganforge.errors import GanforgeError
from ganforge.explore.outputs import atomic_path
from ganforge.images import atomic_write_bytes
from ganforge.runs import LoadedRun

FORMAT = "ganforge-generator-1"
SUFFIXES = {
    "onnx": (".onnx",),
    "torchscript": (".pt", ".ts", ".torchscript"),
    "safetensors": (".safetensors",),
}


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


def _wrapped(run: LoadedRun) -> tuple[nn.Module, tuple[Tensor, ...], list[str]]:
    G = run.G.cpu().eval()
    z = torch.randn(2, run.z_dim, generator=torch.Generator().manual_seed(0))
    if run.num_classes:
        return _Conditional(G).eval(), (z, torch.tensor([0, run.num_classes - 1])), ["z", "y"]
    return _Unconditional(G).eval(), (z,), ["z"]


def _output_name(run: LoadedRun) -> str:
    return "points" if run.cfg.data.is_toy else "image"


def generator_config(run: LoadedRun) -> dict[str, Any]:
    """What a consumer of the exported file needs to know, as JSON."""
    shape = [2] if run.cfg.data.is_toy else [run.cfg.data.channels, *[run.cfg.data.resolution] * 2]
    inputs: dict[str, Any] = {"z": {"shape": ["batch", run.z_dim], "dtype": "float32"}}
    if run.num_classes:
        inputs["y"] = {"shape": ["batch"], "dtype": "int64", "classes": run.num_classes}
    return {
        "format": FORMAT,
        "inputs": inputs,
        "output": {"name": _output_name(run), "shape": ["batch", *shape], "range": [-1, 1]},
        "z_dim": run.z_dim,
        "num_classes": run.num_classes,
        "class_names": run.class_names,
        "ema": run.used_ema,
        "images_seen": run.images_seen,
        "checkpoint": run.checkpoint.name,
        "config": run.cfg.to_dict(),
        "ganforge": ganforge.__version__,
        "torch": torch.__version__,
    }


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
            yield
    finally:
        logger.setLevel(level)


def export_onnx(run: LoadedRun, out: str | Path, opset: int | None = None) -> Path:
    """ONNX with named inputs ``z`` [, ``y``], output ``image`` and a dynamic batch axis."""
    try:
        import onnx
        import onnxscript  # noqa: F401  (the torch.export-based exporter needs it)
    except ImportError:
        raise GanforgeError(
            "ONNX export needs onnx and onnxscript: pip install 'ganforge[export]'"
        ) from None
    model, args, names = _wrapped(run)
    batch = torch.export.Dim("batch", min=1)
    with atomic_path(out) as tmp, _quiet_exporters():
        torch.onnx.export(
            model,
            args,
            str(tmp),
            dynamo=True,
            external_data=False,  # one self-contained file
            input_names=names,
            output_names=[_output_name(run)],
            dynamic_shapes={name: {0: batch} for name in names},
            opset_version=opset,
            verbose=False,
        )
        proto = onnx.load(str(tmp))
        onnx.helper.set_model_props(proto, {"ganforge": json.dumps(generator_config(run))})
        onnx.save(proto, str(tmp))
    return Path(out)


def export_torchscript(run: LoadedRun, out: str | Path) -> Path:
    """A traced TorchScript module; ``torch.jit.load`` needs nothing but torch."""
    model, args, _ = _wrapped(run)
    with atomic_path(out) as tmp, _quiet_exporters(), torch.no_grad():
        traced = torch.jit.trace(model, args)
        extra = {"ganforge.json": json.dumps(generator_config(run))}
        torch.jit.save(traced, str(tmp), _extra_files=extra)
    return Path(out)


def export_safetensors(run: LoadedRun, out: str | Path) -> Path:
    """G's weights with the config in the metadata and in ``<name>.json`` beside them."""
    from safetensors.torch import save_file

    out = Path(out)
    cfg = json.dumps(generator_config(run), indent=2)
    state = {k: v.detach().cpu().contiguous() for k, v in run.G.state_dict().items()}
    with atomic_path(out) as tmp:
        save_file(state, str(tmp), metadata={"format": FORMAT, "config": cfg})
        atomic_write_bytes(out.with_suffix(".json"), (cfg + "\n").encode())
    return out


EXPORTERS = {
    "onnx": export_onnx,
    "torchscript": export_torchscript,
    "safetensors": export_safetensors,
}


def load_generator(path: str | Path, device: str | torch.device = "cpu") -> nn.Module:
    """Rebuild the generator from a safetensors export (eval mode, no gradients)."""
    from safetensors import SafetensorError, safe_open
    from safetensors.torch import load_file

    from ganforge.config import config_from_dict
    from ganforge.models import build_generator

    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
        state = load_file(str(path))
    except (SafetensorError, OSError) as e:
        raise GanforgeError(f"{path} is not a readable safetensors file ({e})") from None
    if meta.get("format") != FORMAT:
        raise GanforgeError(f"{path} is not a generator exported by `ganforge export`")
    info = json.loads(meta["config"])
    G = build_generator(config_from_dict(info["config"]), info["num_classes"])
    G.load_state_dict(state)
    return G.to(device).eval().requires_grad_(False)


def onnx_max_difference(
    path: str | Path, run: LoadedRun, batch_sizes: tuple[int, ...] = (1, 3)
) -> float | None:
    """Largest |onnxruntime - PyTorch| over seeded inputs at each batch size (None without
    onnxruntime): the check that the exported graph computes what G computes."""
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    G = run.G.cpu().eval()
    worst = 0.0
    for n in batch_sizes:
        z = torch.randn(n, run.z_dim, generator=torch.Generator().manual_seed(n))
        y = torch.arange(n) % run.num_classes if run.num_classes else None
        feed = {"z": z.numpy()} | ({"y": y.numpy()} if y is not None else {})
        (got,) = session.run(None, feed)
        with torch.no_grad():
            want = G(z, y).numpy()
        worst = max(worst, float(abs(got - want).max()))
    return worst
