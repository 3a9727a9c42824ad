"""How far ahead of the tutorial loop any training loop can get on a convolution-bound CPU.

One process, on stand-in images of the preset's shape (as speed.py):

1. the tutorial loop (textbook.py) is timed first, before anything changes process-wide state;
2. a warmed-up ganforge Trainer trains ``--steps`` iterations under the PyTorch profiler, which
   gives the time spent in convolutions (forward: ``mkldnn_convolution`` and the transposed
   convolutions run inside ``_convolution``; backward: ``convolution_backward``; self times);
3. ``getrusage`` counts the minor page faults per iteration of both (the tutorial's with glibc's
   default allocator settings, ganforge's with ``runtime.keep_cpu_memory``);
4. ``torch.utils.flop_counter`` counts the convolution FLOPs of one ganforge iteration (the task's
   D and G steps) and of one tutorial iteration.

The ceiling is the tutorial's step time over ganforge's convolution time: the ratio a loop would
reach if it cost nothing besides the convolutions it must run. The profiled time includes the final
sample grid of ``fit`` (one generator forward pass), which is under 1% of 30 iterations.

    python benchmarks/conv_ceiling.py                      # dcgan-fashion-mnist, batch 64
    python benchmarks/conv_ceiling.py --batch 128 --steps 20
"""

from __future__ import annotations

import argparse
import resource

import torch
from torch.profiler import ProfilerActivity, profile
from torch.utils.flop_counter import FlopCounterMode

from ganforge.config import load_config
from speed import stand_in_images, textbook_img_per_s, warm_trainer
from textbook import textbook_for

FORWARD = ("aten::mkldnn_convolution", "aten::_convolution")
BACKWARD = ("aten::convolution_backward",)


def conv_flops(run) -> dict[str, float]:
    """Forward and backward convolution FLOPs of ``run()``."""
    with FlopCounterMode(display=False) as counter:
        run()
    by_op = {str(op): n for op, n in counter.get_flop_counts()["Global"].items()}
    return {
        "fwd": by_op.get("aten.convolution", 0),
        "bwd": by_op.get("aten.convolution_backward", 0),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="dcgan-fashion-mnist")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=30, help="profiled ganforge iterations")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cfg = load_config(args.preset, {"train.batch_size": args.batch})
    images = stand_in_images(cfg)
    per_iter = args.batch * cfg.train.n_critic
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    textbook_ms = 1e3 * per_iter / textbook_img_per_s(cfg, images, 3840)
    # minor page faults per iteration, with glibc's defaults (the tutorial's 2 warm-up steps too)
    textbook_faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / (
        3840 // per_iter + 2
    )

    loop = textbook_for(cfg)(cfg, images)
    next(loop)
    textbook_flops = conv_flops(lambda: next(loop))

    with warm_trainer(args.preset, images, args.batch) as trainer:
        clock = trainer.wall_time
        trainer.cfg.train.images += args.steps * per_iter
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            trainer.fit()
        ours_faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / args.steps
        step_ms = 1e3 * (trainer.wall_time - clock) / args.steps
        self_ms = {e.key: e.self_cpu_time_total / 1e3 / args.steps for e in prof.key_averages()}
        total_ms = sum(self_ms.values())
        fwd_ms = sum(self_ms.get(k, 0.0) for k in FORWARD)
        bwd_ms = sum(self_ms.get(k, 0.0) for k in BACKWARD)

        task = trainer.task
        real = images[: args.batch].float() / 127.5 - 1
        if task.channels_last:
            real = real.contiguous(memory_format=torch.channels_last)

        def iteration() -> None:  # the trainer's phases on one fixed batch
            for phase in trainer.phases:
                for _ in range(phase.repeats):
                    trainer._step(phase, (real, None), measure=False)

        ours = conv_flops(iteration)

    conv_ms = fwd_ms + bwd_ms
    print(f"{args.preset}, batch {args.batch}, {args.threads} threads, torch {torch.__version__}")
    print(f"tutorial step: {textbook_ms:.1f} ms (timed first, in this process)")
    print(
        f"minor page faults per iteration: tutorial {textbook_faults:.0f} (glibc defaults), "
        f"ganforge {ours_faults:.0f} (runtime.keep_cpu_memory; profiler and final grid included)"
    )
    print(
        f"ganforge step: {step_ms:.1f} ms on the training clock; convolutions {conv_ms:.1f} ms = "
        f"{100 * conv_ms / total_ms:.0f}% of the profiled CPU time"
    )
    gflop = {k: v / 1e9 for k, v in ours.items()}
    print(
        f"convolution GFLOP per iteration: ganforge {sum(gflop.values()):.1f}, tutorial "
        f"{sum(textbook_flops.values()) / 1e9:.1f}"
    )
    print(
        f"ganforge's convolutions: forward {gflop['fwd'] / fwd_ms * 1e3:.0f} GFLOP/s, backward "
        f"{gflop['bwd'] / bwd_ms * 1e3:.0f} GFLOP/s, together "
        f"{sum(gflop.values()) / conv_ms * 1e3:.0f} GFLOP/s"
    )
    print(
        f"ceiling: tutorial step / ganforge convolution time = {textbook_ms / conv_ms:.2f}x "
        f"(measured ganforge / tutorial here: {textbook_ms / step_ms:.2f}x)"
    )


if __name__ == "__main__":
    main()
