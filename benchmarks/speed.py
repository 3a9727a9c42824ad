"""Training-step speed: ganforge's Trainer against the textbook loops, on CPU and (when present) GPU.

For each model (DCGAN-32: the ``dcgan-fashion-mnist`` preset, 1 x 32 x 32; SNGAN-32: the
``sngan-cifar10`` ResNet, 3 x 32 x 32, n_critic 5), batch size and mode (eager or ``torch.compile``,
fp32 or bf16 autocast) it times, in one process on random stand-in images of the preset's shape:

- the textbook loop (textbook.py: the PyTorch DCGAN tutorial, the usual SNGAN loop), the same
  networks, compiled and autocast the plain way when the mode says so;
- ganforge through ``Trainer.fit`` (EMA, logging every ``train.log_every`` images included; the
  run folder's setup and the final sample grid and checkpoint, fixed costs of a run, are not: the
  trainer's own training clock), with ``runtime.compile`` and ``runtime.precision`` set by the mode.

img/s counts real images shown to D (n_critic per G step), after a warm-up (which also compiles).
Repeats alternate between the two so drifting machine load hits both alike; the median is kept.
On the CPU each repeat runs in a fresh process: the textbook loop first, as a user runs it, then
ganforge, then the textbook loop again, now with the allocator setting ganforge's Trainer made
(``runtime.keep_cpu_memory``: process-wide), so the table shows how much of the ratio it accounts for.
Ratios: ganforge / textbook in the same mode, and ganforge / the tutorial as written (eager fp32).

On a GPU it adds the achieved FLOP/s and its fraction of the device's peak: FLOPs of one textbook
iteration (n_critic D steps, one G step, forward and backward convolutions and matmuls, counted by
``torch.utils.flop_counter``) per image, times ganforge's img/s, over the dense tensor-core peak of
the mode's dtype (TF32 for fp32, since cuDNN runs fp32 convolutions in TF32 by default).

2-process CPU scaling efficiency: ganforge under ``torchrun --nproc_per_node=2`` (gloo, one thread
per process, the same global batch) against one process with one thread:
efficiency = img/s(2 processes x 1 thread) / (2 x img/s(1 process x 1 thread)); 1.0 is perfect.

    python benchmarks/speed.py                                    # everything (hours on 2 cores:
                                                                  # SNGAN-32 is GPU-sized)
    python benchmarks/speed.py --models dcgan32                   # the CPU table
    python benchmarks/speed.py --models dcgan32 --batches 64 --modes eager-fp32 --quick
    python benchmarks/speed.py --out benchmarks/results/speed-cpu.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import torch

from ganforge.config import load_config
from ganforge.data.dataset import ImageData
from ganforge.models import build_discriminator, build_generator
from ganforge.runtime.device import resolve_precision
from ganforge.train.cuda_graph import WARMUP_ITERATIONS
from ganforge.train.trainer import Trainer
from textbook import textbook_for, textbook_loop  # noqa: F401 (quality.py imports textbook_loop)

MODELS = {"dcgan32": "dcgan-fashion-mnist", "sngan32": "sngan-cifar10"}
MODES = ("eager-fp32", "eager-bf16", "compiled-fp32", "compiled-bf16", "graphs-fp32", "graphs-bf16")
# Dense tensor-core peaks in TFLOP/s (TF32, bf16) from the vendors' data sheets; the first name
# contained in torch.cuda.get_device_name() wins, --peak-tflops overrides.
PEAK_TFLOPS = {
    "H100 PCIe": (378, 756),
    "H100": (495, 989),
    "H200": (495, 989),
    "GH200": (495, 989),
    "A100": (156, 312),
    "L40S": (183, 362),
    "L4": (60, 121),
    "A10": (62.5, 125),
    "RTX 4090": (82.6, 165),
    "RTX 3090": (35.6, 71),
}


def stand_in_images(cfg, n: int = 8192) -> torch.Tensor:
    """Random uint8 images of the preset's shape: speed does not depend on the pixels."""
    g = torch.Generator().manual_seed(0)
    c, r = cfg.data.channels, cfg.data.resolution
    return torch.randint(0, 256, (n, c, r, r), generator=g, dtype=torch.uint8)


def _sync(device: str) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def textbook_img_per_s(
    cfg,
    images: torch.Tensor,
    n_images: int,
    device: str = "cpu",
    compile: bool = False,
    precision: str = "fp32",
) -> float:
    """The textbook loop; images per second over ``n_images`` after two warm-up iterations."""
    per_iter = cfg.train.batch_size * cfg.train.n_critic
    loop = textbook_for(cfg)(cfg, images, device, compile, precision)
    next(loop), next(loop)
    _sync(device)
    t0 = time.perf_counter()
    steps = max(1, n_images // per_iter)
    for _ in range(steps):
        next(loop)
    _sync(device)
    return steps * per_iter / (time.perf_counter() - t0)


@contextlib.contextmanager
def warm_trainer(
    preset: str,
    images: torch.Tensor,
    batch: int,
    precision: str = "fp32",
    compile: bool = False,
    device: str = "cpu",
    graphs: bool = False,
) -> Iterator[Trainer]:
    """A Trainer on ``images`` after a short warm-up run (which compiles, or captures its CUDA
    graph); raise ``trainer.cfg.train.images`` and call ``fit`` again to train on."""
    data = ImageData(images, None, 0, "benchmark")
    n_critic = load_config(preset).train.n_critic
    warm = (WARMUP_ITERATIONS + 2 if graphs else 2) * batch * n_critic
    with tempfile.TemporaryDirectory() as tmp:
        ov = {
            "train.batch_size": batch,
            "runtime.progress": False,
            "runtime.tensorboard": False,
            "out_dir": tmp,
            "runtime.precision": precision,
            "runtime.compile": compile,
            "runtime.cuda_graphs": graphs,
            "runtime.device": device,
            "train.eval_every": 0,
            "train.images": warm,
        }
        trainer = Trainer(load_config(preset, ov), data=data).fit()
        if graphs and any("cuda_graphs" in x for x in trainer.notes):
            raise RuntimeError("; ".join(x for x in trainer.notes if "cuda_graphs" in x))
        yield trainer


def ganforge_img_per_s(
    preset: str,
    images: torch.Tensor,
    batch: int,
    n: int,
    precision: str,
    compile: bool = False,
    device: str = "cpu",
    graphs: bool = False,
) -> float:
    """``Trainer.fit`` over ``n`` images, continuing a warm-up run of the same Trainer, timed by the
    trainer's training clock."""
    with warm_trainer(preset, images, batch, precision, compile, device, graphs) as trainer:
        warm_clock = trainer.wall_time
        trainer.cfg.train.images += n
        trainer.fit()
        # The trainer's own clock: the training iterations with their periodic logging (one host
        # sync per log step), without the run folder's setup and the final grid and checkpoint,
        # as the textbook loop is timed without its setup. On a GPU the last iteration's queued
        # kernels may still run when the clock stops: well under 1% of these runs.
        return n / (trainer.wall_time - warm_clock)


def flops_per_image(cfg, device: str) -> float:
    """Convolution and matmul FLOPs (forward + backward) of one textbook iteration, per real image."""
    from torch.utils.flop_counter import FlopCounterMode

    torch.manual_seed(0)
    G, D = build_generator(cfg).to(device), build_discriminator(cfg).to(device)
    B, z_dim = cfg.train.batch_size, cfg.model.z_dim
    c, r = cfg.data.channels, cfg.data.resolution
    real = torch.randn(B, c, r, r, device=device)
    with FlopCounterMode(display=False) as counter:
        for _ in range(cfg.train.n_critic):
            with torch.no_grad():
                fake = G(torch.randn(B, z_dim, device=device))
            (D(real).mean() - D(fake).mean()).backward()
        D(G(torch.randn(B, z_dim, device=device))).mean().backward()
    return counter.get_total_flops() / (B * cfg.train.n_critic)


def peak_tflops(precision: str, override: float | None) -> float | None:
    if override:
        return override
    name = torch.cuda.get_device_name()
    for key, (tf32, bf16) in PEAK_TFLOPS.items():
        if key in name:
            return bf16 if precision == "bf16" else tf32
    return None


def measure(
    model: str,
    batch: int,
    mode: str,
    device: str,
    n_images: int,
    repeats: int,
    seconds: float = 0.0,
) -> dict[str, float]:
    """Median img/s of the textbook loop and of ganforge for one (model, batch, mode, device).

    ``seconds`` > 0 sizes the measurement to about that long for the textbook loop (a pilot run
    measures its speed first, and warms it up): a GPU needs far more images than a CPU for the
    timing to dwarf the run's fixed costs (the final sample grid and checkpoint of ``Trainer.fit``).

    On the CPU each repeat is one fresh process (``pair``): ganforge's Trainer changes a
    process-wide setting there (``runtime.keep_cpu_memory``, runtime/cpu_memory.py), so the textbook
    loop is timed first, as a user would run it, and once more after ganforge, with the setting in
    place (``textbook_kept``), which shows how much of the ratio that setting makes.
    """
    if device == "cpu":
        pairs = [_pair_in_subprocess(model, batch, mode, n_images) for _ in range(repeats)]
        return {k: statistics.median(p[k] for p in pairs) for k in pairs[0]}
    preset = MODELS.get(model, model)
    cfg = load_config(preset, {"train.batch_size": batch})
    images = stand_in_images(cfg)
    kind, precision = mode.split("-")
    # graphs: ganforge's CUDA-graph mode against the eager textbook loop (it has no such mode)
    compiled, graphs = kind == "compiled", kind == "graphs"
    per_iter = batch * cfg.train.n_critic
    n = max(n_images, 4 * per_iter)
    if seconds > 0:
        pilot = textbook_img_per_s(cfg, images, n, device, compiled, precision)
        n = max(n, int(pilot * seconds) // per_iter * per_iter)
    res: dict[str, list[float]] = {"textbook": [], "ganforge": []}
    for _ in range(repeats):  # alternate so drifting machine load hits both alike
        res["textbook"].append(textbook_img_per_s(cfg, images, n, device, compiled, precision))
        res["ganforge"].append(
            ganforge_img_per_s(preset, images, batch, n, precision, compiled, device, graphs)
        )
    out = {k: statistics.median(v) for k, v in res.items()}
    out["images"] = n
    return out


def pair(model: str, batch: int, mode: str, n_images: int) -> dict[str, float]:
    """One CPU repeat in this (fresh) process: textbook, ganforge, textbook again."""
    preset = MODELS.get(model, model)
    cfg = load_config(preset, {"train.batch_size": batch})
    images = stand_in_images(cfg)
    kind, precision = mode.split("-")
    compiled = kind == "compiled"
    n = max(n_images, 4 * batch * cfg.train.n_critic)
    out = {"images": float(n)}
    out["textbook"] = textbook_img_per_s(cfg, images, n, "cpu", compiled, precision)
    out["ganforge"] = ganforge_img_per_s(preset, images, batch, n, precision, compiled, "cpu")
    out["textbook_kept"] = textbook_img_per_s(cfg, images, n, "cpu", compiled, precision)
    return out


def _pair_in_subprocess(model: str, batch: int, mode: str, n_images: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "pair.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--pair-worker", str(result)]
        cmd += ["--models", model, "--batches", str(batch), "--modes", mode]
        cmd += ["--images", str(n_images), "--threads", str(torch.get_num_threads())]
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
        return json.loads(result.read_text())


# --------------------------------------------------------------------------- 2-process scaling


def _worker(args: argparse.Namespace) -> None:
    """One measurement inside a plain or a torchrun launch (1 thread per process, fp32)."""
    torch.set_num_threads(1)
    preset = MODELS.get(args.models[0], args.models[0])
    cfg = load_config(preset, {"train.batch_size": args.batches[0]})
    ips = ganforge_img_per_s(preset, stand_in_images(cfg), args.batches[0], args.images, "fp32")
    if int(os.environ.get("RANK", "0")) == 0:
        Path(args.scaling_worker).write_text(json.dumps({"img_s": ips}))


def scaling(model: str, batch: int, n_images: int) -> dict[str, float]:
    """img/s of 1 process x 1 thread and of 2 processes x 1 thread (torchrun, gloo)."""
    out: dict[str, float] = {}
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    for procs in (1, 2):
        with tempfile.TemporaryDirectory() as tmp:
            result = Path(tmp) / "result.json"
            worker = [str(Path(__file__).resolve()), "--scaling-worker", str(result)]
            worker += ["--models", model, "--batches", str(batch), "--images", str(n_images)]
            launcher = [sys.executable]
            if procs == 2:
                launcher += ["-m", "torch.distributed.run", "--nproc_per_node=2", "--standalone"]
            subprocess.run(launcher + worker, env=env, check=True, capture_output=True)
            out[f"{procs}proc_img_s"] = json.loads(result.read_text())["img_s"]
    out["efficiency"] = out["2proc_img_s"] / (2 * out["1proc_img_s"])
    return out


# --------------------------------------------------------------------------- the table


def _device_label(device: str, threads: int) -> str:
    if device == "cuda":
        return f"GPU {torch.cuda.get_device_name()}"
    return f"CPU {platform.processor() or platform.machine()}, {threads} threads"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--models",
        nargs="+",
        default=list(MODELS),
        help=f"{', '.join(MODELS)} or a preset name (default: both)",
    )
    ap.add_argument("--preset", help="time this preset only (same as --models PRESET)")
    ap.add_argument("--batches", "--batch", type=int, nargs="+", default=[64, 128, 256])
    ap.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    ap.add_argument(
        "--devices", nargs="+", default=["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]
    )
    ap.add_argument("--images", type=int, default=3840, help="images timed per measurement")
    ap.add_argument("--repeats", type=int, default=3, help="alternating repeats; median kept")
    ap.add_argument(
        "--seconds",
        type=float,
        default=3.0,
        help="on a GPU, size each measurement to about this many seconds of the textbook loop",
    )
    ap.add_argument("--threads", type=int, default=2, help="CPU threads (in-process timings)")
    ap.add_argument("--no-scaling", action="store_true", help="skip the 2-process CPU run")
    ap.add_argument("--peak-tflops", type=float, help="the GPU's peak, if not in the table")
    ap.add_argument("--quick", action="store_true", help="smoke test: few images, one repeat")
    ap.add_argument("--out", type=Path, help="write the results as JSON here")
    ap.add_argument("--scaling-worker", help=argparse.SUPPRESS)
    ap.add_argument("--pair-worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.preset:
        args.models = [args.preset]
    if args.scaling_worker:
        return _worker(args)
    if args.pair_worker:
        torch.set_num_threads(args.threads)
        res = pair(args.models[0], args.batches[0], args.modes[0], args.images)
        Path(args.pair_worker).write_text(json.dumps(res))
        return None
    if args.quick:
        args.images, args.repeats = 256, 1
    torch.set_num_threads(args.threads)
    auto = resolve_precision("auto", torch.device("cpu"))
    rows, scale = [], None
    for device in args.devices:
        for model in args.models:
            for batch in args.batches:
                for mode in args.modes:
                    seconds = args.seconds if device == "cuda" else 0.0
                    row = {"device": device, "model": model, "batch": batch, "mode": mode}
                    try:
                        med = measure(
                            model, batch, mode, device, args.images, args.repeats, seconds
                        )
                    except Exception as e:  # one failing mode must not lose the others' rows
                        row["error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:300]}"
                        rows.append(row)
                        print(json.dumps(row), file=sys.stderr)
                        continue
                    row["images"] = med.pop("images")
                    row.update({f"{k}_img_s": round(v, 1) for k, v in med.items()})
                    row["ratio"] = round(med["ganforge"] / med["textbook"], 2)
                    if device == "cuda":
                        cfg = load_config(MODELS.get(model, model), {"train.batch_size": batch})
                        flops = flops_per_image(cfg, device)
                        achieved = flops * med["ganforge"] / 1e12
                        peak = peak_tflops(mode.split("-")[1], args.peak_tflops)
                        row.update(
                            gflop_per_img=round(flops / 1e9, 3),
                            tflop_s=round(achieved, 2),
                            of_peak=round(achieved / peak, 4) if peak else None,
                        )
                    rows.append(row)
                    print(json.dumps(row), file=sys.stderr)  # progress: the full run takes long
    if not args.no_scaling:
        batch = next((b for b in args.batches if b % 2 == 0), 64)
        scale = {"model": args.models[0], "batch": batch}
        scale.update(scaling(args.models[0], batch, max(args.images, 4 * batch)))
    _print_tables(rows, scale, args, auto)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        info = {
            "devices": {d: _device_label(d, args.threads) for d in args.devices},
            "auto_precision_cpu": auto,
            "torch": torch.__version__,
            "images_per_measurement": args.images,
            "repeats": args.repeats,
            "rows": rows,
            "scaling": scale,
            "command": " ".join(sys.argv),
        }
        args.out.write_text(json.dumps(info, indent=2) + "\n")


def _print_tables(rows: list[dict], scale: dict | None, args, auto: str) -> None:
    for device in args.devices:
        mine = [r for r in rows if r["device"] == device]
        print(
            f"\n{_device_label(device, args.threads)}, torch {torch.__version__}; CPU auto = {auto}"
        )
        head = "| model | batch | mode | textbook img/s | ganforge img/s | ratio | vs tutorial |"
        sep = "|---|---:|---|---:|---:|---:|---:|"
        if device == "cuda":
            head += " GFLOP/img | TFLOP/s | of peak |"
            sep += "---:|---:|---:|"
        else:  # the textbook loop timed again after ganforge set runtime.keep_cpu_memory
            head += " textbook, kept memory | ratio to it |"
            sep += "---:|---:|"
        print(head)
        print(sep)
        for r in mine:
            if "error" in r:
                print(f"| {r['model']} | {r['batch']} | {r['mode']} | failed: {r['error']} |")
                continue
            base = next(
                (
                    b["textbook_img_s"]
                    for b in mine
                    if (b["model"], b["batch"], b["mode"]) == (r["model"], r["batch"], "eager-fp32")
                    and "error" not in b
                ),
                None,
            )
            vs = f"{r['ganforge_img_s'] / base:.2f}x" if base else "-"
            line = (
                f"| {r['model']} | {r['batch']} | {r['mode']} | {r['textbook_img_s']} "
                f"| {r['ganforge_img_s']} | {r['ratio']}x | {vs} |"
            )
            if device == "cuda":
                peak = f"{100 * r['of_peak']:.1f}%" if r["of_peak"] is not None else "?"
                line += f" {r['gflop_per_img']} | {r['tflop_s']} | {peak} |"
            elif "textbook_kept_img_s" in r:
                kept = r["textbook_kept_img_s"]
                line += f" {kept} | {r['ganforge_img_s'] / kept:.2f}x |"
            print(line)
    if scale:
        print(
            f"\n2-process CPU scaling ({scale['model']}, global batch {scale['batch']}, gloo, "
            f"1 thread per process): 1 process {scale['1proc_img_s']:.1f} img/s, "
            f"2 processes {scale['2proc_img_s']:.1f} img/s, "
            f"efficiency {scale['efficiency']:.2f} (= 2-process img/s / (2 x 1-process img/s))"
        )


if __name__ == "__main__":
    main()
