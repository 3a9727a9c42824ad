"""Issue #22: the speed of a FastGAN-class step on this CPU, with and without a projected D, beside
DCGAN-64; and a short learning-signal prototype on a real folder.

Speed (default): every setting trains in a fresh process (no allocator or thread state carries
over) on random stand-in RGBA images at 64 px: a plain loop of one D step (DiffAugment color,
translation, cutout on reals and fakes; FastGAN: + the decoders' reconstruction loss on reals)
and one G step (through the same augmentation, D frozen), each with its spectral-norm power
iteration and Adam update, plus G's EMA; a few warm-up iterations, then ~``--images`` timed. img/s
counts real images shown to D. Rows go to ``benchmarks/results/fast-recipe-speed-cpu.json`` with
the CPU model and whether it computes bf16 natively (cpu_info).

    python benchmarks/fast_recipe_speed.py                      # every setting, batch 32, fp32+bf16
    python benchmarks/fast_recipe_speed.py --batch 64 --only fastgan,dcgan
    python benchmarks/fast_recipe_speed.py --only proj-native,proj-224 --precision fp32 \
        --images 64 --threads 1 --out benchmarks/results/projected-resolution-cpu-shared.json

The last is the projected discriminator at the data's own 64 px against the paper's 224 px
(``projected.resize_to``); img per CPU-second is the figure a shared machine can still compare.
    python benchmarks/fast_recipe_speed.py --train fastgan --minutes 5 \\
        --data folder:/tmp/emoji/package/img/google/64 --out /tmp/proto-fastgan

Train (``--train MODEL``): the same loop on a folder (RGBA, 64 px) for ``--minutes`` of CPU
time (this process's, all threads: on a shared machine every model gets the same compute), saving
EMA sample grids (composited on white, and the alpha alone) every ``--grid-every`` CPU seconds and
at the end, named by the images seen. A prototype of the recipe, not ganforge's Trainer (the task
does not exist yet).
"""

from __future__ import annotations

import argparse
import copy
import datetime
import json
import subprocess
import sys
import time
from pathlib import Path

import torch
from torch import Tensor, nn

from _machine import cpu_info  # benchmarks/ is on sys.path
from ganforge.augment import diff_augment
from ganforge.config import Config, DataConfig, ModelConfig
from ganforge.losses.adversarial import d_bce, d_hinge, g_hinge, g_nonsaturating
from ganforge.losses.self_supervised import decoder_reconstruction
from ganforge.models import build_discriminator, build_generator
from ganforge.models.fastgan import FastGANDiscriminator, FastGANGenerator, fastgan_widths
from ganforge.models.projected import projected_discriminator
from ganforge.models.spectral_norm import power_iteration_, spectral_layers

RESULTS = Path(__file__).parent / "results" / "fast-recipe-speed-cpu.json"
POLICY = "color,translation,cutout"
SIZE, CHANNELS = 64, 4

# name -> (label, G, D, loss); D "proj-N" is the projected D on Lite0 at N px (0: native).
SETTINGS: dict[str, tuple[str, str, str, str]] = {
    "dcgan": ("DCGAN-64 (reference: widths 64, non-saturating)", "dcgan", "dcgan", "bce"),
    "fastgan": ("FastGAN-64 (G 256..16, D 32..128, hinge + recon)", "fastgan", "fastgan", "hinge"),
    "fastgan-wide": (
        "FastGAN-64 wide (G 512..32, D 64..256)",
        "fastgan-wide",
        "fastgan-wide",
        "hinge",
    ),
    "proj-native": (
        "FastGAN G + projected D, Lite0 at 64 px (4 scales)",
        "fastgan",
        "proj-0",
        "hinge",
    ),
    "proj-native3": (
        "FastGAN G + projected D, Lite0 at 64 px (3 scales)",
        "fastgan",
        "proj3-0",
        "hinge",
    ),
    "proj-128": ("FastGAN G + projected D, Lite0 at 128 px", "fastgan", "proj-128", "hinge"),
    "proj-224": (
        "FastGAN G + projected D, Lite0 at 224 px (the paper)",
        "fastgan",
        "proj-224",
        "hinge",
    ),
}


class EMA:
    """G's exponential moving average, buffers copied (as train/ema.py)."""

    def __init__(self, model: nn.Module) -> None:
        self.model = copy.deepcopy(model).eval().requires_grad_(False)
        self.src, self.dst = list(model.parameters()), list(self.model.parameters())
        self.src_buf, self.dst_buf = list(model.buffers()), list(self.model.buffers())

    @torch.no_grad()
    def update(self, beta: float) -> None:
        for s, d in zip(self.src, self.dst):
            d.lerp_(s, 1 - beta)
        for s, d in zip(self.src_buf, self.dst_buf):
            d.copy_(s)


def build(g_kind: str, d_kind: str) -> tuple[nn.Module, nn.Module]:
    """The networks of a setting, for (4, 64, 64) images."""
    if g_kind == "dcgan":
        cfg = Config(
            data=DataConfig(resolution=SIZE, channels=CHANNELS), model=ModelConfig(arch="dcgan")
        )
        return build_generator(cfg), build_discriminator(cfg)
    base = 32 if g_kind == "fastgan-wide" else 16
    g_widths, d_widths = fastgan_widths(SIZE, SIZE, base_width=base, max_width=2 * base * 16)
    G = FastGANGenerator(128, CHANNELS, SIZE, SIZE, g_widths)
    if d_kind.startswith("proj"):
        scales = 3 if d_kind.startswith("proj3") else 4
        resize = int(d_kind.split("-")[1]) or None
        D = projected_discriminator(
            "lite0", CHANNELS, SIZE, SIZE, resize_to=resize, num_scales=scales
        )
    else:
        D = FastGANDiscriminator(CHANNELS, SIZE, SIZE, d_widths)
    return G, D


class Loop:
    """One iteration: a D step and a G step, the way a ganforge task would assemble them."""

    def __init__(self, g_kind: str, d_kind: str, loss: str, bf16: bool, seed: int = 0) -> None:
        torch.manual_seed(seed)
        self.G, self.D = build(g_kind, d_kind)
        self.recon = isinstance(self.D, FastGANDiscriminator)
        self.proj = not self.recon and d_kind.startswith("proj")
        betas = (0.0, 0.99) if self.proj else (0.5, 0.999)  # Projected GAN's / FastGAN's Adam
        self.opt_g = torch.optim.Adam(self.G.parameters(), 2e-4, betas=betas)
        trainable = [p for p in self.D.parameters() if p.requires_grad]
        self.opt_d = torch.optim.Adam(trainable, 2e-4, betas=betas)
        self.sn_g, self.sn_d = spectral_layers(self.G), spectral_layers(self.D)
        self.ema = EMA(self.G)
        self.loss, self.bf16 = loss, bf16
        self.gen = torch.Generator().manual_seed(seed)
        self.z_dim = self.G.z_dim
        self.steps = 0

    def _d(self, x: Tensor, reconstruct: bool = False):
        if self.recon:
            return self.D(x, reconstruct=reconstruct, gen=self.gen)
        if self.proj:
            return self.D(x, gen=self.gen)
        return self.D(x)

    def step(self, real: Tensor) -> dict[str, float]:
        b = real.shape[0]
        aug = lambda x: diff_augment(x, POLICY, self.gen)  # noqa: E731
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            # 1. D step: reals (with the decoders' reconstructions) and detached fakes
            power_iteration_(self.sn_d)
            power_iteration_(self.sn_g)
            with torch.no_grad():
                fake = self.G(torch.randn(b, self.z_dim, generator=self.gen))
            out = self._d(aug(real), reconstruct=self.recon)
            real_logits = (out.logits if self.recon else out).float()
            fake_logits = self._d(aug(fake)).float()
            if self.loss == "hinge":
                d_loss = d_hinge(real_logits, fake_logits)
            else:
                d_loss = d_bce(real_logits, fake_logits, 0.9)  # the DCGAN preset's smoothing
            rec = decoder_reconstruction(out.recons, out.targets) if self.recon else None
            total = d_loss + rec if rec is not None else d_loss
        self.opt_d.zero_grad(set_to_none=True)
        total.backward()
        self.opt_d.step()
        # 2. G step through the same augmentation, D frozen
        self.D.requires_grad_(False)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            fake = self.G(torch.randn(b, self.z_dim, generator=self.gen))
            logits = self._d(aug(fake)).float()
            g_loss = g_hinge(logits) if self.loss == "hinge" else g_nonsaturating(logits)
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_g.step()
        self.D.requires_grad_(True)
        # The official FastGAN's EMA (0.001 per step), ramped up over the first steps (a short
        # run would otherwise show mostly the initial G: 0.999^150 = 0.86).
        self.steps += 1
        self.ema.update(min(0.999, self.steps / (self.steps + 10)))
        return {
            "d": d_loss.item(),
            "g": g_loss.item(),
            "rec": rec.item() if rec is not None else 0.0,
            "d_real": real_logits.mean().item(),
            "d_fake": fake_logits.mean().item(),
        }


def speed_child(name: str, batch: int, bf16: bool, images: int, threads: int) -> dict:
    torch.set_num_threads(threads)
    _, g_kind, d_kind, loss = SETTINGS[name]
    loop = Loop(g_kind, d_kind, loss, bf16)
    real = torch.rand(batch, CHANNELS, SIZE, SIZE) * 2 - 1
    for _ in range(3):
        loop.step(real)
    n = max(3, images // batch)
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        loop.step(real)
    dt = (time.perf_counter() - t0) / n
    cpu = (time.process_time() - c0) / n  # this process's CPU seconds, all threads
    params = {
        "G": sum(p.numel() for p in loop.G.parameters()),
        "D_trainable": sum(p.numel() for p in loop.D.parameters() if p.requires_grad),
    }
    # img per CPU-second is what a machine shared with other jobs can still measure fairly:
    # at --threads 1 it is the single-core throughput whatever else runs.
    return {
        "img_per_s": batch / dt,
        "img_per_cpu_s": batch / cpu,
        "s_per_iter": dt,
        "params": params,
    }


def speed(args: argparse.Namespace) -> None:
    names = args.only.split(",") if args.only else list(SETTINGS)
    rows = []
    for name in names:
        for precision in args.precision.split(","):
            job = [name, args.batch, precision == "bf16", args.images, args.threads]
            code = "import json, sys; import fast_recipe_speed as f; "
            code += "print(json.dumps(f.speed_child(*json.loads(sys.argv[1]))))"
            r = subprocess.run(
                [sys.executable, "-c", code, json.dumps(job)],
                capture_output=True,
                text=True,
                cwd=Path(__file__).parent,
            )
            if r.returncode != 0:
                sys.exit(f"{name} {precision}: failed\n{r.stderr[-2000:]}")
            out = json.loads(r.stdout.strip().splitlines()[-1])
            label = SETTINGS[name][0]
            rows.append({"setting": name, "label": label, "precision": precision, **out})
            print(
                f"{out['img_per_s']:8.1f} img/s {out['img_per_cpu_s']:8.1f} img/cpu-s  "
                f"{precision:4s} b{args.batch}  {label}",
                flush=True,
            )
    record = {
        "rows": rows,
        **cpu_info(),
        "threads": args.threads,
        "batch": args.batch,
        "torch": torch.__version__,
        "date": datetime.date.today().isoformat(),
        "command": " ".join(["python", "benchmarks/fast_recipe_speed.py", *sys.argv[1:]]),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n")


def _save_grids(G: nn.Module, z: Tensor, path: Path) -> None:
    from ganforge.images import save_grid, to_uint8

    with torch.no_grad():
        x = G(z).float().clamp(-1, 1)  # (N, 4, H, W)
    a = (x[:, 3:] + 1) / 2
    on_white = a * x[:, :3] + (1 - a)  # composited on white, as a viewer shows it
    save_grid(path.with_suffix(".png"), to_uint8(on_white), nrow=8)
    save_grid(path.with_name(path.name + "-alpha.png"), to_uint8(x[:, 3:]), nrow=8)


def train(args: argparse.Namespace) -> None:
    from ganforge.data import load_data

    torch.set_num_threads(args.threads)
    data = load_data(DataConfig(source=args.data, resolution=SIZE, channels=CHANNELS))
    images = data.images  # (N, 4, 64, 64) uint8
    _, g_kind, d_kind, loss = SETTINGS[args.train]
    loop = Loop(g_kind, d_kind, loss, args.precision == "bf16")
    args.out.mkdir(parents=True, exist_ok=True)
    z = torch.randn(64, loop.z_dim, generator=torch.Generator().manual_seed(123))
    perm_gen = torch.Generator().manual_seed(1)
    # The budget is this process's CPU time, so that on a machine shared with other jobs every
    # model gets the same compute; grids are saved every --grid-every CPU seconds.
    seen, start, last_grid, log = 0, time.process_time(), 0.0, []
    budget = 60 * args.minutes
    while True:
        idx = torch.randint(0, len(images), (args.batch,), generator=perm_gen)
        real = images[idx].float() / 127.5 - 1  # (B, 4, 64, 64) in [-1, 1]
        flip = torch.rand(args.batch, 1, 1, 1, generator=perm_gen) < 0.5
        real = torch.where(flip, real.flip(3), real)
        scalars = loop.step(real)
        seen += args.batch
        used = time.process_time() - start
        done = used >= budget
        if used - last_grid >= args.grid_every or done:
            last_grid = used
            _save_grids(loop.ema.model, z, args.out / f"{args.train}-{seen:07d}")
            log.append({"cpu_seconds": round(used, 1), "images": seen, **scalars})
            print(json.dumps(log[-1]), flush=True)
        if done:
            break
    (args.out / "log.json").write_text(json.dumps(log, indent=1) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="comma-separated setting names")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--precision", default="fp32,bf16")
    ap.add_argument("--images", type=int, default=640, help="images timed per setting")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--train", choices=list(SETTINGS), default=None)
    ap.add_argument("--data", default="folder:/tmp/emoji/package/img/google/64")
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--grid-every", type=float, default=60.0)
    args = ap.parse_args()
    if args.train:
        args.precision = args.precision.split(",")[0]
        args.out = args.out or Path(f"/tmp/proto-{args.train}")
        train(args)
    else:
        args.out = args.out or RESULTS
        speed(args)


if __name__ == "__main__":
    main()
