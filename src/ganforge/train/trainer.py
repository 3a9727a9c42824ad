"""The training loop: explicit D and G phases, progress counted in images, exact resume.

One iteration = ``n_critic`` discriminator steps (each on a fresh real batch) then one generator
step, then the EMA update. Scalars stay on the device and are summed; they are read (one host sync)
only every ``log_every`` images, which is also when NaN/inf is detected.

Run folder (``out_dir/DATE-NAME``)::

    config.yaml          the resolved config (what --resume reads back)
    data_report.json     what was loaded, what was skipped and why
    metrics.csv          images, losses, D(x), D(G(z)), gradient norms, lr, img/s
    samples/             reals.png and a grid on fixed noise every sample_every images
    losses.png           loss curves, redrawn with every grid
    checkpoints/         ckpt-<images>.safetensors, the last keep_checkpoints of them
    metrics-eval.csv     with train.eval_every: scores of the EMA generator (train/evaluation.py),
    metrics.png          their curves, and best.safetensors, the checkpoint of the best score
    run.json             status (running/finished/interrupted/failed), timing, versions, notes
    tensorboard/         events, when tensorboard is installed

Under torchrun (train/distributed.py) every process trains its slice of each global batch and rank 0
alone writes the folder; scalars are averaged over the processes at log steps only.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import signal
import threading
import time
from pathlib import Path
from typing import Any

import torch
import yaml

import ganforge
from ganforge.config import Config, config_from_dict, parse_override
from ganforge.data.dataset import ImageData
from ganforge.data.loader import IndexSampler, to_model_range
from ganforge.errors import GanforgeError
from ganforge.images import atomic_write_bytes, save_grid, to_uint8
from ganforge.train import checkpoint as ckpt
from ganforge.train import distributed
from ganforge.train.ema import EMA
from ganforge.train.evaluation import BEST_NAME, TrainingEval
from ganforge.train.runtime import choose_precision
from ganforge.train.schedules import ema_beta, lr_factor
from ganforge.train.tasks import build_task, load_task_data

COLUMNS = [
    "images",
    "g_steps",
    "d_loss",
    "g_loss",
    "d_real",
    "d_fake",
    "gp",
    "r1",
    "d_grad_norm",
    "g_grad_norm",
    "lr_g",
    "lr_d",
    "img_per_s",
    "wall_s",
]


def _write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode())


class Trainer:
    """Builds data, networks and optimizers from a Config and trains them.

    ``Trainer(cfg).fit()`` starts a new run; ``Trainer.resume(run_dir).fit()`` continues one.
    ``data`` may be passed to skip loading (tests, notebooks).
    """

    def __init__(
        self, cfg: Config, run_dir: str | Path | None = None, data: ImageData | None = None
    ) -> None:
        self.cfg = cfg
        rt = cfg.runtime
        if rt.threads > 0:
            torch.set_num_threads(rt.threads)
        # Under torchrun (train/distributed.py) the checks come first: a bad launch fails on every
        # rank before any of them waits for the others.
        self.launch = distributed.launch_from_env()
        self.is_main = self.launch.is_main
        self.device = distributed.training_device(self.launch, rt.device)
        distributed.check_batch(self.launch, cfg.train.batch_size)
        self.precision, note = choose_precision(rt.precision, self.device)
        self._notes: list[str] = [note] if note else []
        distributed.init(self.launch, self.device)
        self.shard = distributed.shard_of(self.launch)
        torch.manual_seed(cfg.train.seed)
        if data is None:
            with distributed.main_first(self.launch):  # rank 0 downloads; the others then read
                data = load_task_data(cfg)  # the model.task's reader (train/tasks.py)
        self.data = data
        if cfg.train.batch_size > len(self.data):
            raise GanforgeError(
                f"train.batch_size={cfg.train.batch_size} is larger than the data set "
                f"({len(self.data)} images): lower it"
            )
        self.task = build_task(cfg, self.data, self.device, self.precision)
        # Tasks may log more than the GAN columns (image-to-image: l1, psnr, ssim, cycle, ...).
        extra = getattr(self.task, "log_columns", ())
        self.columns = COLUMNS + [c for c in extra if c not in COLUMNS]
        self._distribute()
        self.ema = (
            {k: EMA(self.task.nets[k]) for k in self.task.ema_targets}
            if (cfg.train.ema_halflife > 0)
            else {}
        )
        self.sampler = IndexSampler(len(self.data), cfg.train.batch_size, cfg.train.seed)
        self.gen = torch.Generator(device=self.device).manual_seed(cfg.train.seed + 1)
        # Data lives on the training device when it fits (always the case on CPU).
        self.images = self.data.images.to(self.device)
        self.labels = None if self.data.labels is None else self.data.labels.to(self.device)
        self.images_seen = 0
        self.g_steps = 0
        self.wall_time = 0.0
        self._acc: dict[str, torch.Tensor] = {}
        self._acc_n: dict[str, int] = {}
        self._last_log = (0, time.perf_counter())
        self._tb: Any = None
        self._bar: Any = None
        self._stop_signal: int | None = None
        self._stop_agreed = False  # under torchrun: every rank saw a stop request at a sync point
        self._synced_at = -1
        self.status = "new"
        # Rank 0 names the run folder (its clock, its view of the folders) for every rank.
        self.run_dir = (
            Path(run_dir)
            if run_dir
            else distributed.broadcast_object(self.launch, self._new_run_dir())
        )
        self.fixed = self.task.fixed_inputs(cfg.train.grid_size, cfg.train.seed)
        self.evaluation = TrainingEval(cfg) if cfg.train.eval_every > 0 else None

    # ------------------------------------------------------------------ construction helpers
    @property
    def notes(self) -> list[str]:
        """One-line notes about runtime fallbacks (precision, compile, distributed)."""
        return self._notes + list(getattr(self.task, "notes", []))

    def _distribute(self) -> None:
        """Under torchrun: the task's training calls through DDP, random draws sharded."""
        if not self.launch.distributed:
            return
        rt, n = self.cfg.runtime, self.launch.world_size
        sync_bn = rt.sync_bn and self.device.type == "cuda"
        if rt.sync_bn and not sync_bn:
            self._notes.append(
                "runtime.sync_bn: PyTorch's SyncBatchNorm needs CUDA (DDP rejects it on CPU); "
                "batch norm uses each process's statistics"
            )
        elif not sync_bn and distributed.has_batch_norm(*self.task.nets.values()):
            self._notes.append(
                f"batch norm normalises over each process's {self.cfg.train.batch_size // n} "
                "images (runtime.sync_bn=true on CUDA: over the global batch)"
            )
        wrap = distributed.ddp_wrapper(self.launch, self.device, sync_bn)
        if hasattr(self.task, "wrap_for_distributed"):
            self.task.wrap_for_distributed(wrap, self.shard)
        else:
            distributed.average_gradients_on_step(self.task.optimizers, n)
            self._notes.append(
                f"{type(self.task).__name__} has no wrap_for_distributed: gradients are averaged "
                "before each optimizer step and its random draws are not sharded"
            )

    def _new_run_dir(self) -> Path:
        stamp = _dt.datetime.now().strftime("%Y-%m-%d-%H%M%S")
        base = Path(self.cfg.out_dir) / f"{stamp}-{self.cfg.name}"
        path, i = base, 1
        while path.exists():
            path, i = Path(f"{base}-{i}"), i + 1
        return path

    @classmethod
    def resume(
        cls, run_dir: str | Path, overrides: list[str] | None = None, data: ImageData | None = None
    ) -> Trainer:
        """Continue a run from its newest checkpoint. Overrides may change e.g. train.images."""
        run_dir = Path(run_dir)
        cfg_path = run_dir / "config.yaml"
        if not cfg_path.is_file():
            raise GanforgeError(f"{run_dir} is not a ganforge run folder (no config.yaml)")
        tree = yaml.safe_load(cfg_path.read_text())
        for key, value in map(parse_override, overrides or []):
            node = tree
            *parents, last = key.split(".")
            for p in parents:
                node = node.setdefault(p, {})
            node[last] = value
        cfg = config_from_dict(tree)
        found = ckpt.list_checkpoints(run_dir / "checkpoints")
        if not found:
            raise GanforgeError(
                f"{run_dir} has no checkpoint to resume from (it stopped before the first one); "
                "start a new run instead"
            )
        trainer = cls(cfg, run_dir=run_dir, data=data)
        trainer.load_checkpoint(found[-1])
        return trainer

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {
            "nets": {k: m.state_dict() for k, m in self.task.nets.items()},
            "ema": {k: e.model.state_dict() for k, e in self.ema.items()},
            "optim": {k: o.state_dict() for k, o in self.task.optimizers.items()},
            "rng": {"torch": torch.get_rng_state(), "noise": self.gen.get_state()},
            "sampler": self.sampler.state_dict(),
            "task": self.task.extra_state(),
            "progress": {
                "images_seen": self.images_seen,
                "g_steps": self.g_steps,
                "wall_time": self.wall_time,
            },
            "acc": {"sum": dict(self._acc), "n": dict(self._acc_n)},
            "meta": {
                "ganforge": ganforge.__version__,
                "model": self.cfg.to_dict()["model"],
                "data": {
                    "channels": self.cfg.data.channels,
                    "resolution": self.cfg.data.resolution,
                    "source": self.cfg.data.source,
                    "num_classes": self.data.num_classes,
                    "class_names": list(self.data.class_names),
                },
            },
        }
        if self.device.type == "cuda":
            state["rng"]["cuda"] = torch.cuda.get_rng_state(self.device)
        if self.evaluation is not None:
            state["eval"] = self.evaluation.state_dict()
        return state

    def load_checkpoint(self, path: str | Path) -> None:
        state = ckpt.load(Path(path))
        try:
            for k, m in self.task.nets.items():
                m.load_state_dict(state["nets"][k])
            for k, e in self.ema.items():
                e.model.load_state_dict(state["ema"][k])
            for k, o in self.task.optimizers.items():
                o.load_state_dict(state["optim"][k])
            self.sampler.load_state_dict(state["sampler"])
        except (KeyError, RuntimeError, ValueError) as e:
            first = str(e).strip().splitlines()[0][:300]
            raise GanforgeError(
                f"checkpoint {path} does not match this run's model/data ({first}); "
                "resume it with the config it was trained with"
            ) from None
        self.task.load_extra_state(state["task"])
        torch.set_rng_state(state["rng"]["torch"])
        self.gen.set_state(state["rng"]["noise"])
        if "cuda" in state["rng"] and self.device.type == "cuda":
            torch.cuda.set_rng_state(state["rng"]["cuda"], self.device)
        prog = state["progress"]
        self.images_seen, self.g_steps = prog["images_seen"], prog["g_steps"]
        self.wall_time = prog["wall_time"]
        self._acc = {k: v.to(self.device) for k, v in state["acc"]["sum"].items()}
        self._acc_n = dict(state["acc"]["n"])
        if self.evaluation is not None:
            self.evaluation.load_state_dict(state.get("eval", {}))
        self._set_lr()

    def save_checkpoint(self) -> Path:
        self._sync()
        self._check_finite()
        folder = self.run_dir / "checkpoints"
        path = folder / ckpt.checkpoint_name(self.images_seen)
        if self.is_main:  # the state is the same on every rank (batch-norm statistics aside)
            ckpt.atomic_save(path, self.state_dict())
            ckpt.prune(folder, self.cfg.train.keep_checkpoints)
        return path

    # ------------------------------------------------------------------ run folder
    def _prepare_run_dir(self) -> None:
        if not self.is_main:
            return
        (self.run_dir / "samples").mkdir(parents=True, exist_ok=True)
        cfg_file = self.run_dir / "config.yaml"
        _write_text(cfg_file, self.cfg.to_yaml())
        _write_text(
            self.run_dir / "data_report.json", json.dumps(self.data.report, indent=2) + "\n"
        )
        metrics = self.run_dir / "metrics.csv"
        if self.images_seen == 0 or not metrics.exists():
            _write_text(metrics, ",".join(self.columns) + "\n")
        else:
            # Rows logged after the checkpoint we resumed from are replayed: drop them.
            rows = metrics.read_text().splitlines()
            keep = [rows[0]] + [
                r for r in rows[1:] if r and int(r.split(",")[0]) <= self.images_seen
            ]
            _write_text(metrics, "\n".join(keep) + "\n")
        if self.evaluation is not None:
            self.evaluation.prepare(self.run_dir, self.images_seen)
        if self.images_seen == 0:
            self._save_samples("reals")

    def _write_status(self, status: str, **extra: Any) -> None:
        self.status = status
        if not self.is_main:
            return
        info = {
            "status": status,
            "name": self.cfg.name,
            "images_seen": self.images_seen,
            "images_total": self.cfg.train.images,
            "g_steps": self.g_steps,
            "wall_time_s": round(self.wall_time, 2),
            "img_per_s": round(self.images_seen / self.wall_time, 1) if self.wall_time else None,
            "device": str(self.device),
            "world_size": self.launch.world_size,
            "precision": self.precision,
            "compile": self.cfg.runtime.compile,
            "notes": self.notes,
            "ganforge": ganforge.__version__,
            "torch": torch.__version__,
            "checkpoints": [p.name for p in ckpt.list_checkpoints(self.run_dir / "checkpoints")],
            **({"eval": self.evaluation.summary()} if self.evaluation is not None else {}),
            **extra,
        }
        _write_text(self.run_dir / "run.json", json.dumps(info, indent=2) + "\n")

    # ------------------------------------------------------------------ the loop
    def _batch(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        if hasattr(self.task, "make_batch"):  # image-to-image tasks cut pairs, domains, LR/HR
            return self.task.make_batch(self.gen)
        # Global draws, this rank's slice (train/distributed.py). non_blocking: a copy from
        # pageable memory that does not wait for the queued GPU work.
        idx = self.shard.take(self.sampler.next()).to(self.device, non_blocking=True)
        x = self.images[idx]
        y = None if self.labels is None else self.labels[idx]
        if self.data.is_image:
            x = to_model_range(x)
            if self.cfg.data.hflip:
                B = self.cfg.train.batch_size
                u = torch.rand(B, 1, 1, 1, generator=self.gen, device=self.device)
                x = torch.where(self.shard.take(u) < 0.5, x.flip(3), x)
            if self.task.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
        return x, y

    def _set_lr(self) -> None:
        f = lr_factor(self.cfg.train.lr_schedule, self.images_seen, self.cfg.train.images)
        for opt, oc in ((self.task.opt_g, self.cfg.g_optim), (self.task.opt_d, self.cfg.d_optim)):
            for group in opt.param_groups:
                group["lr"] = oc.lr * f

    def _accumulate(self, out: dict[str, torch.Tensor]) -> None:
        for k, v in out.items():
            self._acc[k] = self._acc[k] + v if k in self._acc else v.clone()
            self._acc_n[k] = self._acc_n.get(k, 0) + 1

    def _check_finite(self) -> None:
        if not self._acc:
            return
        values = torch.stack([v.float() for v in self._acc.values()])
        if not bool(torch.isfinite(values).all()):  # one host sync, only at log/checkpoint time
            bad = [k for k, v in self._acc.items() if not math.isfinite(float(v))]
            last = ckpt.list_checkpoints(self.run_dir / "checkpoints")
            keep = (
                f"the last good checkpoint is {last[-1]}" if last else "no checkpoint was written"
            )
            self._write_status("failed", error=f"non-finite {', '.join(bad)}")
            raise GanforgeError(
                f"{', '.join(bad)} became NaN/inf before image {self.images_seen} "
                f"(generator step {self.g_steps}); {keep}; lower the learning rates or add a penalty"
            )

    def _sync(self) -> None:
        """Under torchrun, at log and checkpoint steps only: average the accumulated scalars over
        the ranks and agree on stopping, in one all_reduce. A NaN on any rank reaches every rank's
        sums, so all take the same decision; a Ctrl-C takes effect at the next of these points."""
        if not self.launch.distributed or self._synced_at == self.images_seen:
            return
        self._synced_at = self.images_seen
        keys = sorted(self._acc)
        flag = torch.tensor([float(self._stop_signal is not None)], device=self.device)
        parts = [torch.stack([self._acc[k].float() for k in keys])] if keys else []
        vec = distributed.all_reduce_sum(self.launch, torch.cat([*parts, flag]))
        self._acc = {k: vec[i] / self.launch.world_size for i, k in enumerate(keys)}
        self._stop_agreed = bool(vec[-1] > 0)

    def _stopping(self) -> bool:
        """One process: at once. Under torchrun: once the ranks agreed (at a log/checkpoint step)."""
        if self.launch.distributed:
            return self._stop_agreed
        return self._stop_signal is not None

    def _log(self) -> None:
        self._sync()
        self._check_finite()
        now = time.perf_counter()
        seen0, t0 = self._last_log
        row: dict[str, Any] = {k: float(self._acc[k]) / self._acc_n[k] for k in self._acc}
        row.update(
            images=self.images_seen,
            g_steps=self.g_steps,
            lr_g=self.task.opt_g.param_groups[0]["lr"],
            lr_d=self.task.opt_d.param_groups[0]["lr"],
            img_per_s=(self.images_seen - seen0) / max(now - t0, 1e-9),
            wall_s=self.wall_time,
        )
        self._acc, self._acc_n = {}, {}
        self._last_log = (self.images_seen, now)
        if not self.is_main:
            return
        line = ",".join(
            ""
            if row.get(c) is None
            else (f"{row[c]:.6g}" if isinstance(row[c], float) else str(row[c]))
            for c in self.columns
        )
        with open(self.run_dir / "metrics.csv", "a") as f:
            f.write(line + "\n")
        if self._bar is not None:
            self._bar.set_postfix(
                d=f"{row.get('d_loss', float('nan')):.3f}",
                g=f"{row.get('g_loss', float('nan')):.3f}",
                ips=f"{row['img_per_s']:.0f}",
            )
        self._tensorboard(row)

    def _tensorboard(self, row: dict[str, Any]) -> None:
        if not self.cfg.runtime.tensorboard:
            return
        if self._tb is None:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:
                self.cfg.runtime.tensorboard = False
                return
            self._tb = SummaryWriter(str(self.run_dir / "tensorboard"))
        for k, v in row.items():
            if k not in ("images", "g_steps") and v is not None:
                self._tb.add_scalar(k, v, self.images_seen)

    def sample_model(self):
        """The generator used for samples: the EMA copy when EMA is on."""
        return self.ema["G"].model if "G" in self.ema else self.task.G

    def _save_samples(self, tag: str) -> None:
        from ganforge.report.plots import plot_losses, plot_toy

        if not self.is_main:
            return
        path = self.run_dir / "samples" / f"{tag}.png"
        if tag == "reals":
            idx = torch.arange(min(self.cfg.train.grid_size, len(self.data)))
            if self.data.is_image:
                save_grid(path, self.data.images[idx])
            else:
                plot_toy(path, self.data.images, None, self.cfg.data.source)
            return
        G = self.sample_model()
        was_training = G.training
        G.eval()
        try:
            fake = self.task.generate(G, self.fixed)
        finally:
            G.train(was_training)
        if self.data.is_image:
            # Image-to-image grids are rows of input | output | target tiles.
            save_grid(path, to_uint8(fake), getattr(self.task, "grid_nrow", None))
        else:
            gen = torch.Generator(device=self.device).manual_seed(self.cfg.train.seed + 7)
            z = torch.randn(2000, G.z_dim, generator=gen, device=self.device)
            with torch.no_grad():
                pts = G.eval()(z).float().cpu()
            G.train(was_training)
            plot_toy(path, self.data.images, pts, self.cfg.data.source)
        plot_losses(self.run_dir / "metrics.csv", self.run_dir / "losses.png")

    def _evaluate(self) -> None:
        """Score the sample model (train/evaluation.py); keep best.safetensors when it improves."""
        if not self.is_main:
            distributed.barrier(self.launch)  # the other ranks wait while rank 0 evaluates
            return
        t0 = time.perf_counter()
        improved = self.evaluation.run(
            self.sample_model(), self.images_seen, self.task.num_classes, self.run_dir
        )
        if improved:
            ckpt.atomic_save(self.run_dir / BEST_NAME, self.state_dict())
        self._write_status("running")
        # Leave the evaluation out of the next img/s reading: it measures training speed.
        seen, t = self._last_log
        self._last_log = (seen, t + time.perf_counter() - t0)
        distributed.barrier(self.launch)

    def _install_signal_handlers(self):
        """First Ctrl-C / SIGTERM: finish the iteration, checkpoint, stop. Second: stop at once."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        self._stop_signal = None

        def request_stop(signum: int, frame: Any) -> None:
            if self._stop_signal is not None:
                raise KeyboardInterrupt
            self._stop_signal = signum

        old = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
        return lambda: [signal.signal(s, h) for s, h in old.items()]

    def fit(self) -> Trainer:
        """Train until ``train.images``; Ctrl-C (or SIGTERM) saves a checkpoint and re-raises."""
        from tqdm.auto import tqdm

        cfg, tc = self.cfg, self.cfg.train
        self._prepare_run_dir()
        self._write_status("running")
        B, total = tc.batch_size, tc.images
        per_iter = B * tc.n_critic
        self._bar = tqdm(
            total=total,
            initial=min(self.images_seen, total),
            unit="img",
            unit_scale=True,
            disable=not cfg.runtime.progress or not self.is_main,
            dynamic_ncols=True,
            desc=cfg.name,
        )
        self._last_log = (self.images_seen, time.perf_counter())
        started = time.perf_counter() - self.wall_time
        restore = self._install_signal_handlers()
        try:
            while self.images_seen < total and not self._stopping():
                prev = self.images_seen
                nxt = prev + per_iter
                measure = prev // tc.log_every != nxt // tc.log_every
                # 1. discriminator phase: n_critic steps, each on a fresh real batch
                for _ in range(tc.n_critic):
                    batch = self._batch()
                    self._accumulate(self.task.d_step(batch, self.gen, measure))
                    self.images_seen += B
                # 2. generator phase (D frozen)
                self._accumulate(self.task.g_step(batch, self.gen, measure))
                self.g_steps += 1
                # 3. EMA of G, lr schedule
                for k, e in self.ema.items():
                    beta = ema_beta(B, self.images_seen, tc.ema_halflife, tc.ema_rampup)
                    e.update(self.task.nets[k], beta)
                if tc.lr_schedule != "constant":
                    self._set_lr()
                self._bar.update(per_iter)
                self.wall_time = time.perf_counter() - started
                # 4. bookkeeping at image boundaries
                done = self.images_seen >= total
                if measure or done:
                    self._log()
                if prev // tc.sample_every != nxt // tc.sample_every or done:
                    self._save_samples(f"fakes-{self.images_seen:012d}")
                if self.evaluation is not None and self.evaluation.due(prev, nxt):
                    self._evaluate()
                if prev // tc.checkpoint_every != nxt // tc.checkpoint_every or done:
                    self.save_checkpoint()
                    self._write_status("running")
            if self._stopping():
                # Stopped between iterations, so the checkpoint is a consistent state.
                self.save_checkpoint()
                sig = self._stop_signal
                # Under torchrun another rank may have been the one signalled.
                self._write_status(
                    "interrupted", signal=signal.Signals(sig).name if sig else "peer"
                )
                raise KeyboardInterrupt
        finally:
            restore()
            self._bar.close()
            if self._tb is not None:
                self._tb.close()
                self._tb = None
        self._write_status("finished")
        return self
