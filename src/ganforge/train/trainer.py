"""The training loop: explicit D and G phases, progress counted in images, exact resume.

One iteration = ``n_critic`` discriminator steps (each on a fresh real batch) then one generator
step, then the EMA update (``Trainer._iteration``). Scalars stay on the device and are summed; they
are read (one host sync) only every ``log_every`` images, which is also when NaN/inf is detected.
With ``runtime.cuda_graphs`` on a GPU the iteration is captured once and replayed
(train/cuda_graph.py); the eager iteration is its reference twin.

What the run folder holds is listed in train/run_folder.py. Under torchrun (train/distributed.py)
every process trains its slice of each global batch and rank 0 alone writes the folder; scalars are
averaged over the processes at log steps only.
"""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

import ganforge
from ganforge.config import Config, load_run_config
from ganforge.data.dataset import ImageData
from ganforge.data.loader import IndexSampler, to_model_range
from ganforge.errors import GanforgeError
from ganforge.train import checkpoint as ckpt
from ganforge.train import distributed
from ganforge.train.cpu_memory import keep_freed_memory
from ganforge.train.cuda_graph import GraphedIterations, graph_problem
from ganforge.train.ema import EMA
from ganforge.train.evaluation import BEST_NAME, TrainingEval
from ganforge.train.optim_state import load_optimizer, portable
from ganforge.train.run_folder import RunFolder, new_run_path
from ganforge.train.runtime import choose_precision
from ganforge.train.samples import save_fakes, save_reals
from ganforge.train.scalars import ScalarSums
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
        if rt.keep_cpu_memory and self.device.type == "cpu":
            note = keep_freed_memory()  # train/cpu_memory.py: stops per-step page faults
            self._notes += [note] if note else []
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
        if self.launch.distributed:
            self._notes += distributed.distribute_task(self.task, self.launch, self.device, cfg)
        self.ema = (
            {k: EMA(self.task.nets[k]) for k in self.task.ema_targets}
            if (cfg.train.ema_halflife > 0)
            else {}
        )
        # Image-to-image tasks cut their own batches (pairs, two domains, LR/HR crops).
        self.is_gan = cfg.model.task == "gan"
        self.sampler = IndexSampler(
            len(self.data), cfg.train.batch_size, cfg.train.seed, self.device
        )
        self.gen = torch.Generator(device=self.device).manual_seed(cfg.train.seed + 1)
        # Data lives on the training device when it fits (always the case on CPU); image-to-image
        # tasks keep their own device copies.
        self.images = self.data.images.to(self.device) if self.is_gan else None
        labels = self.data.labels if self.is_gan else None
        self.labels = None if labels is None else labels.to(self.device)
        self.images_seen = 0
        self.g_steps = 0
        self.wall_time = 0.0
        self.scalars = ScalarSums()
        self._last_log = (0, time.perf_counter())
        self._bar: Any = None
        self._stop_signal: int | None = None
        self._stop_agreed = False  # under torchrun: every rank saw a stop request at a sync point
        self._synced_at = -1
        self.status = "new"
        self._graphs: GraphedIterations | None = None
        self._use_graph = False
        if rt.cuda_graphs:
            problem = graph_problem(
                self.device,
                self.launch.world_size,
                self.precision,
                cfg.model.task,
                cfg.loss.r1_every if cfg.loss.r1_gamma > 0 else 1,
                rt.compile,
            )
            self._use_graph = problem is None
            if problem:
                self._notes.append(f"runtime.cuda_graphs: {problem}; running eagerly")
        # Rank 0 names the run folder (its clock, its view of the folders) for every rank.
        self.run_dir = (
            Path(run_dir)
            if run_dir
            else distributed.broadcast_object(self.launch, new_run_path(cfg.out_dir, cfg.name))
        )
        self.folder = RunFolder(self.run_dir, self.is_main, rt.tensorboard)
        self.fixed = self.task.fixed_inputs(cfg.train.grid_size, cfg.train.seed)
        self.evaluation = TrainingEval(cfg) if cfg.train.eval_every > 0 else None

    # ------------------------------------------------------------------ construction helpers
    @property
    def notes(self) -> list[str]:
        """One-line notes about runtime fallbacks (precision, compile, graphs, distributed)."""
        return self._notes + list(getattr(self.task, "notes", []))

    @classmethod
    def resume(
        cls, run_dir: str | Path, overrides: list[str] | None = None, data: ImageData | None = None
    ) -> Trainer:
        """Continue a run from its newest checkpoint. Overrides may change e.g. train.images."""
        run_dir = Path(run_dir)
        cfg = load_run_config(run_dir, overrides)
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
            "optim": {k: portable(o.state_dict()) for k, o in self.task.optimizers.items()},
            "rng": {"torch": torch.get_rng_state(), "noise": self.gen.get_state()},
            "sampler": self.sampler.state_dict(),
            "task": self.task.extra_state(),
            "progress": {
                "images_seen": self.images_seen,
                "g_steps": self.g_steps,
                "wall_time": self.wall_time,
            },
            "acc": self.scalars.state_dict(),
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
                load_optimizer(o, state["optim"][k])
            self.sampler.load_state_dict(state["sampler"])
            self.task.load_extra_state(state["task"])
            self.gen.set_state(state["rng"]["noise"])
            torch.set_rng_state(state["rng"]["torch"])
            if "cuda" in state["rng"] and self.device.type == "cuda":
                torch.cuda.set_rng_state(state["rng"]["cuda"], self.device)
            prog = state["progress"]
            self.images_seen, self.g_steps = prog["images_seen"], prog["g_steps"]
            self.wall_time = prog["wall_time"]
            self.scalars.load_state_dict(state["acc"], self.device)
        except (KeyError, RuntimeError, ValueError, TypeError) as e:
            first = str(e).strip().splitlines()[0][:300]
            raise GanforgeError(
                f"checkpoint {path} does not match this run's model/data ({first}); "
                "resume it with the config it was trained with"
            ) from None
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
        data_report = self.data.report
        self.folder.prepare(self.cfg.to_yaml(), data_report, self.columns, self.images_seen)
        if self.evaluation is not None and self.is_main:
            self.evaluation.prepare(self.run_dir, self.images_seen)
        if self.images_seen == 0:
            self._save_samples("reals")

    def _write_status(self, status: str, **extra: Any) -> None:
        self.status = status
        if not self.is_main:
            return
        self.folder.write_status(
            {
                "status": status,
                "name": self.cfg.name,
                "images_seen": self.images_seen,
                "images_total": self.cfg.train.images,
                "g_steps": self.g_steps,
                "wall_time_s": round(self.wall_time, 2),
                "img_per_s": round(self.images_seen / self.wall_time, 1)
                if self.wall_time
                else None,
                "device": str(self.device),
                "world_size": self.launch.world_size,
                "precision": self.precision,
                "compile": self.cfg.runtime.compile,
                "cuda_graphs": self._use_graph,
                "notes": self.notes,
                "ganforge": ganforge.__version__,
                "torch": torch.__version__,
                "checkpoints": [
                    p.name for p in ckpt.list_checkpoints(self.run_dir / "checkpoints")
                ],
                **({"eval": self.evaluation.summary()} if self.evaluation is not None else {}),
                **extra,
            }
        )

    # ------------------------------------------------------------------ one iteration
    def _indices(self) -> Tensor | None:
        """(n_critic, B_local) data indices of the next iteration: the global draws, this rank's
        slice (train/distributed.py). None for tasks that cut their own batches."""
        if not self.is_gan:
            return None
        n = self.cfg.train.n_critic
        return torch.stack([self.shard.take(self.sampler.next()) for _ in range(n)])

    def _batch(self, idx: Tensor | None) -> tuple[Tensor, Tensor | None]:
        if idx is None:
            return self.task.make_batch(self.gen)
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

    def _iteration(
        self, idx: Tensor | None, beta: float | Tensor, measure: bool
    ) -> tuple[dict[str, Tensor], dict[str, int]]:
        """n_critic D steps, one G step, the EMA update: the scalars (D's summed over its steps)
        and how many steps each sums. Device work only, so it can be captured in a CUDA graph."""
        out: dict[str, Tensor] = {}
        counts: dict[str, int] = {}
        # 1. discriminator phase: n_critic steps, each on a fresh real batch
        for i in range(self.cfg.train.n_critic):
            batch = self._batch(None if idx is None else idx[i])
            for k, v in self.task.d_step(batch, self.gen, measure).items():
                out[k] = out[k] + v if k in out else v
                counts[k] = counts.get(k, 0) + 1
        # 2. generator phase (D frozen)
        for k, v in self.task.g_step(batch, self.gen, measure).items():
            out[k], counts[k] = v, 1
        # 3. EMA of G
        for e in self.ema.values():
            e.update(beta)
        return out, counts

    def _run_iteration(self, measure: bool) -> None:
        """The next iteration, eagerly or through its CUDA graph; its scalars go to the log sums."""
        tc = self.cfg.train
        idx = self._indices()
        beta = ema_beta(
            tc.batch_size * tc.n_critic, self.images_seen, tc.ema_halflife, tc.ema_rampup
        )
        if self._graphs is not None:
            out, counts = self._graphs(idx, beta)
        else:
            out, counts = self._iteration(idx, beta, measure)
        self.scalars.add(out, counts)

    def _set_lr(self) -> None:
        start = self.cfg.i2i.pretrain_images if self.cfg.model.task == "srgan" else 0
        f = lr_factor(self.cfg.train.lr_schedule, self.images_seen, self.cfg.train.images, start)
        for opt, oc in ((self.task.opt_g, self.cfg.g_optim), (self.task.opt_d, self.cfg.d_optim)):
            for group in opt.param_groups:
                if isinstance(group["lr"], Tensor):  # a CUDA graph reads it on the device
                    group["lr"].fill_(oc.lr * f)
                else:
                    group["lr"] = oc.lr * f

    # ------------------------------------------------------------------ logging
    def _check_finite(self) -> None:
        bad = self.scalars.non_finite()  # one host sync, only at log/checkpoint time
        if not bad:
            return
        last = ckpt.list_checkpoints(self.run_dir / "checkpoints")
        keep = f"the last good checkpoint is {last[-1]}" if last else "no checkpoint was written"
        self._write_status("failed", error=f"non-finite {', '.join(bad)}")
        raise GanforgeError(
            f"{', '.join(bad)} became NaN/inf before image {self.images_seen} "
            f"(generator step {self.g_steps}); {keep}; lower the learning rates or add a penalty"
        )

    def _sync(self) -> None:
        """Under torchrun, at log and checkpoint steps only: average the summed scalars over the
        ranks and agree on stopping, in one all_reduce. A NaN on any rank reaches every rank's
        sums, so all take the same decision; a Ctrl-C takes effect at the next of these points."""
        if not self.launch.distributed or self._synced_at == self.images_seen:
            return
        self._synced_at = self.images_seen
        stop = self._stop_signal is not None
        self._stop_agreed = self.scalars.all_reduce(self.launch, stop, self.device)

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
        row: dict[str, Any] = self.scalars.means()
        row.update(
            images=self.images_seen,
            g_steps=self.g_steps,
            lr_g=float(self.task.opt_g.param_groups[0]["lr"]),
            lr_d=float(self.task.opt_d.param_groups[0]["lr"]),
            img_per_s=(self.images_seen - seen0) / max(now - t0, 1e-9),
            wall_s=self.wall_time,
        )
        self._last_log = (self.images_seen, now)
        if not self.is_main:
            return
        self.folder.append_metrics(row, self.columns)
        if self._bar is not None:
            self._bar.set_postfix(
                d=f"{row.get('d_loss', float('nan')):.3f}",
                g=f"{row.get('g_loss', float('nan')):.3f}",
                ips=f"{row['img_per_s']:.0f}",
            )

    def sample_model(self):
        """The generator used for samples: the EMA copy when EMA is on."""
        return self.ema["G"].model if "G" in self.ema else self.task.G

    def _save_samples(self, tag: str) -> None:
        from ganforge.report.plots import plot_losses

        if not self.is_main:
            return
        path = self.run_dir / "samples" / f"{tag}.png"
        if tag == "reals":
            save_reals(path, self.data, self.cfg.train.grid_size, self.cfg.data.source)
            return
        save_fakes(path, self.task, self.sample_model(), self.fixed, self.data, self.cfg)
        plot_losses(self.folder.metrics, self.run_dir / "losses.png")

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

    # ------------------------------------------------------------------ the loop
    def fit(self) -> Trainer:
        """Train until ``train.images``; Ctrl-C (or SIGTERM) saves a checkpoint and re-raises.
        Any other failure marks the run ``failed`` in run.json, with the error, and re-raises."""
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
        if self._use_graph and self._graphs is None:  # kept by later fit() calls
            lr_on_device = tc.lr_schedule != "constant"
            self._graphs = GraphedIterations(self._iteration, self.task, self.gen, lr_on_device)
        self._last_log = (self.images_seen, time.perf_counter())
        started = time.perf_counter() - self.wall_time
        restore = self._install_signal_handlers()
        try:
            while self.images_seen < total and not self._stopping():
                prev = self.images_seen
                nxt = prev + per_iter
                measure = prev // tc.log_every != nxt // tc.log_every
                self._run_iteration(measure)
                self.images_seen, self.g_steps = nxt, self.g_steps + 1
                if tc.lr_schedule != "constant":
                    self._set_lr()
                self._bar.update(per_iter)
                self.wall_time = time.perf_counter() - started
                # bookkeeping at image boundaries
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
        except KeyboardInterrupt:
            raise  # interrupted: the status says so already
        except Exception as e:
            if self.status != "failed":  # a non-finite loss wrote its own status and message
                first = str(e).strip().splitlines()[0][:300] if str(e).strip() else ""
                self._write_status("failed", error=f"{type(e).__name__}: {first}")
            raise
        finally:
            restore()
            self._bar.close()
            self.folder.close()
        self._write_status("finished")
        self._write_report()
        return self

    def _write_report(self) -> None:
        """report.html in the run folder, linked from run.json; a failure is a note, never a
        failed run (the training is done and saved)."""
        if not (self.is_main and self.cfg.train.report):
            return
        from ganforge.report.html import write_report

        try:
            path = write_report(self.run_dir, device=str(self.device))
        except GanforgeError as e:
            self._notes.append(f"report.html was not written: {e}")
            self._write_status("finished")
            return
        self._write_status("finished", report=path.name)
