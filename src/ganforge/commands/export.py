"""``ganforge export``: the generator alone, for use without ganforge (or without Python).

    ganforge export runs/<run> --format onnx --out generator.onnx
    ganforge export runs/<run> --format torchscript --out generator.pt
    ganforge export runs/<run> --format safetensors --out generator.safetensors   # + generator.json
    ganforge export runs/<cyclegan-run> --direction BtoA --out zebra2horse.onnx   # CycleGAN's F
    ganforge export runs/<run> --format hub --out my-gan/     # a Hugging Face model repo folder

``--format hub`` writes a folder a Hugging Face model repository holds as it is (config.json,
model.safetensors, README.md model card with the run's ``ganforge eval`` scores, samples.png;
``explore/hub_export.py``); ``hf:USER/NAME`` and the folder's path open it again.

Noise-to-image runs: inputs ``z`` (batch, z_dim) [and ``y`` (batch,) int64 for conditional runs],
output ``image`` (batch, C, H, W) in [-1, 1], batch axis dynamic. Image-to-image runs (pix2pix,
CycleGAN, SRGAN): input ``input`` (batch, C, height, width), output ``output`` (batch, C,
scale * height, scale * width), both in [-1, 1], batch, height and width dynamic (sides: multiples
of ``size_multiple`` from the JSON config). ONNX needs ``pip install 'ganforge[export]'``; with
onnxruntime installed the file is run on other shapes than the traced one and compared with
PyTorch before it is published: a mismatch or an onnxruntime failure leaves no file behind.
"""

from __future__ import annotations

import argparse

from ganforge.atomic import atomic_write_bytes
from ganforge.commands.generator_options import add_run_options, done
from ganforge.commands.registry import register_command
from ganforge.errors import GanforgeError

ONNX_TOLERANCE = 1e-4


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="export the generator alone to ONNX, TorchScript or safetensors + JSON",
        description="Export the generator. Example: "
        "`ganforge export runs/<run> --format onnx --out generator.onnx`.",
    )
    add_run_options(p, device=False)
    p.add_argument(
        "--format",
        choices=["onnx", "torchscript", "safetensors", "hub"],
        help="file format (default: from the --out name); hub: a Hugging Face model folder",
    )
    p.add_argument("--out", required=True, help="e.g. generator.onnx, generator.pt, my-gan/")
    p.add_argument(
        "--dtype",
        choices=["float32", "float16"],
        default="float32",
        help="--format hub: the weights' type (float16: half the size)",
    )
    p.add_argument(
        "--license", default="mit", help="--format hub: the model card's licence (default mit)"
    )
    p.add_argument("--opset", type=int, help="ONNX opset version (default: the exporter's)")
    p.add_argument(
        "--direction",
        choices=["AtoB", "BtoA"],
        help="image-to-image runs: which way (default: the run's own; CycleGAN runs have both)",
    )
    p.set_defaults(func=run)


def _open(args: argparse.Namespace):
    """The LoadedRun of any task, on the CPU: exported graphs are device-neutral."""
    # Imported when the command runs: `ganforge --help` imports no torch.
    from ganforge.runs import load_run

    options = {"direction": args.direction} if args.direction else {}
    return load_run(args.run, args.checkpoint, ema=not args.no_ema, device="cpu", **options)


def _export_checked_onnx(E, model, out, opset: int | None) -> float | None:
    """Export under a temporary name, compare with PyTorch, publish only a file that matches."""
    # Deferred: it loads torch, and `ganforge --help` / `ganforge presets` stay instant.
    from ganforge.explore.outputs import atomic_path

    with atomic_path(out) as tmp:
        E.export_onnx(model, tmp, opset)
        try:
            diff = E.onnx_max_difference(tmp, model)
        except Exception as e:  # onnxruntime's own errors (a kernel it lacks, a bad graph)
            first = (str(e).strip().splitlines() or [type(e).__name__])[0][:300]
            raise GanforgeError(
                f"onnxruntime could not run the exported file ({type(e).__name__}: {first}); "
                "nothing written: please report this"
            ) from None
        if diff is not None and diff > ONNX_TOLERANCE:
            raise GanforgeError(
                f"the ONNX file differs from PyTorch by {diff:.2e} (> {ONNX_TOLERANCE}); "
                "nothing written: please report this"
            )
    return diff


def run(args: argparse.Namespace) -> int:
    # Deferred: it loads torch, and `ganforge --help` / `ganforge presets` stay instant.
    from ganforge.explore import export as E
    from ganforge.explore.outputs import check_output

    if args.format == "hub":
        return _export_hub(args)
    fmt = E.format_for(args.out, args.format)
    out = check_output(args.out, E.SUFFIXES[fmt])
    model = _open(args)
    if fmt == "onnx":
        diff = _export_checked_onnx(E, model, out, args.opset)
        check = f"; onnxruntime matches PyTorch (max |diff| {diff:.1e})" if diff is not None else ""
    else:
        E.EXPORTERS[fmt](model, out)
        check = f"; config in {out.with_suffix('.json')}" if fmt == "safetensors" else ""
    # What the exported graph needs beside it (a text model's tokenizer.json), written after it.
    companions = model.model.companion_files()
    for name, data in companions.items():
        atomic_write_bytes(out.parent / name, data)
    if companions:
        check += f"; beside it: {', '.join(companions)}"
    weights = "EMA" if model.used_ema else "raw"
    done(f"wrote {out}: {weights} {model.model.describe()} from {model.checkpoint.name}{check}")
    return 0


def _export_hub(args: argparse.Namespace) -> int:
    """A Hugging Face model folder (explore/hub_export.py)."""
    # Deferred: it loads torch, and `ganforge --help` / `ganforge presets` stay instant.
    from ganforge.explore.hub_export import save_pretrained
    from ganforge.explore.outputs import check_output_folder

    out = check_output_folder(args.out)
    model = _open(args)
    save_pretrained(model, out, dtype=args.dtype, license_=args.license)
    weights = "EMA" if model.used_ema else "raw"
    done(
        f"wrote {out}/: {weights} {model.model.describe()} ({args.dtype}), config.json, "
        f"README.md, samples.png; upload with `hf upload USER/NAME {out}`"
    )
    return 0


register_command("export", register)
