"""``ganforge export``: the generator alone, for use without ganforge (or without Python).

    ganforge export runs/<run> --format onnx --out generator.onnx
    ganforge export runs/<run> --format torchscript --out generator.pt
    ganforge export runs/<run> --format safetensors --out generator.safetensors   # + generator.json

Inputs ``z`` (batch, z_dim) [and ``y`` (batch,) int64 for conditional runs], output ``image``
(batch, C, H, W) in [-1, 1], batch axis dynamic. ONNX needs ``pip install 'ganforge[export]'``;
with onnxruntime installed the file is run once and compared with PyTorch.
"""

from __future__ import annotations

import argparse

from ganforge.commands.generator_options import add_run_options, done, open_run
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
        choices=["onnx", "torchscript", "safetensors"],
        help="file format (default: from the --out name)",
    )
    p.add_argument("--out", required=True, help="e.g. generator.onnx, generator.pt")
    p.add_argument("--opset", type=int, help="ONNX opset version (default: the exporter's)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ganforge.explore import export as E
    from ganforge.explore.outputs import check_output

    fmt = E.format_for(args.out, args.format)
    out = check_output(args.out, E.SUFFIXES[fmt])
    loaded = open_run(args, device="cpu")  # exported graphs are device-neutral; trace on CPU
    if fmt == "onnx":
        E.export_onnx(loaded, out, args.opset)
        diff = E.onnx_max_difference(out, loaded)
        if diff is not None and diff > ONNX_TOLERANCE:
            out.unlink()
            raise GanforgeError(
                f"the ONNX file differs from PyTorch by {diff:.2e} (> {ONNX_TOLERANCE}); "
                "nothing written: please report this"
            )
        check = f"; onnxruntime matches PyTorch (max |diff| {diff:.1e})" if diff is not None else ""
    else:
        E.EXPORTERS[fmt](loaded, out)
        check = f"; config in {out.with_suffix('.json')}" if fmt == "safetensors" else ""
    weights = "EMA" if loaded.used_ema else "raw"
    done(f"wrote {out}: {weights} generator from {loaded.checkpoint.name}{check}")
    return 0
