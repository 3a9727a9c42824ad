"""The training loop: the same mechanics for every task, the method in the task.

One iteration runs the task's phases in order (``Task.phases``, ganforge/tasks/base.py): for a GAN,
``n_critic`` discriminator steps (each on a fresh real batch) then one generator step; for each
phase the Trainer freezes the phase's frozen networks, asks the phase for its loss, and does
zero_grad, backward (scaled under fp16), the gradient-norm measurement at log steps and the
optimizer step; then it updates the EMA copies (``Trainer._iteration``). Progress is counted in
images, learning rates follow ``train.lr_schedule`` from the optimizers' base rates, and scalars
stay on the device, summed, read (one host sync) only every ``log_every`` images, which is also
when NaN/inf is detected. With ``runtime.cuda_graphs`` on a GPU, a task that declares itself
``graph_capturable`` has its iteration captured once and replayed (train/cuda_graph.py); the
eager iteration is its reference twin. Nothing here depends on which task it trains.

What the run folder holds is listed in train/run_folder.py. Under torchrun (runtime/distributed.py)
every process trains its slice of each global batch and rank 0 alone writes the folder; scalars are
averaged over the processes at log steps only.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from ganforge.config import Config, load_run_config
from ganforge.data.dataset import ImageData
from ganforge.errors import GanforgeError, environment_error
from ganforge.evaluation.training import BEST_NAME
from ganforge.plots import plot_losses
from ganforge.runtime import distributed
from ganforge.runtime.cpu_memory import keep_freed_memory
from ganforge.runtime.device import choose_precision
from ganforge.tasks.base import Batch, Phase
from ganforge.tasks.registry import build_task, check_config, load_task_data, task_class
from ganforge.train import checkpoint as ckpt
from ganforge.train.cuda_graph import GraphedIterations, graph_problem
from ganforge.train.ema import EMA
from ganforge.train.failures import run_failure
from ganforge.train.memory import check_memory
from ganforge.train.run_folder import RunFolder, check_writable, new_run_path, sweep
from ganforge.train.scalars import ScalarSums
from ganforge.train.schedules import ema_beta, lr_factor
from ganforge.train.state import restore_training_state, status_record, training_state
from ganforge.train.steps import Steps, log_columns

OnFinish = Callable[[Path], dict[str, Any]]
"""Called with the run folder when a run finishes (e.g. the report page); returns run.json
entries to add. Raising GanforgeError makes it a note, never a failed run."""


class Trainer:
    """Builds data, networks and optimizers from a Config and trains them.

    ``Trainer(cfg).fit()`` starts a new run; ``Trainer.resume(run_dir).fit()`` continues one.
    ``data`` may be passed to skip loading (tests, notebooks).
    """

    def __init__(
        self, cfg: Config, run_dir: str | Path | None = None, data: ImageData | None = None
    ) -> None:
        self.cfg = cfg
        check_config(cfg)  # the task's own checks, before any data is read or folder made
        rt = cfg.runtime
        if rt.threads > 0:
            torch.set_num_threads(rt.threads)
        # Under torchrun (runtime/distributed.py) the checks come first: a bad launch fails on every
        # rank before any of them waits for the others.
        self.launch = distributed.launch_from_env()
        self.is_main = self.launch.is_main
        self.device = distributed.training_device(self.launch, rt.device)
        distributed.check_batch(self.launch, cfg.train.batch_size)
        if self.is_main:  # a run folder that cannot be written fails before the data is read
            resuming = run_dir is not None and Path(run_dir).is_dir()
            check_writable(run_dir or cfg.out_dir, "run folder" if resuming else "out_dir")
        self.precision, note = choose_precision(rt.precision, self.device)
        self._notes: list[str] = [note] if note else []
        if rt.keep_cpu_memory and self.device.type == "cpu":
            note = keep_freed_memory()  # runtime/cpu_memory.py: stops per-step page faults
            self._notes += [note] if note else []
        distributed.init(self.launch, self.device)
        self.shard = distributed.shard_of(self.launch)
        torch.manual_seed(cfg.train.seed)
        if data is None:
            with distributed.main_first(self.launch):  # rank 0 downloads; the others then read
                data = load_task_data(cfg)  # the model.task's reader (Task.load_data)
        self.data = data
        if cfg.train.batch_size > len(self.data):
            raise GanforgeError(
                f"train.batch_size={cfg.train.batch_size} is larger than the data set "
                f"({len(self.data)} images): lower it"
            )
        # A model too large for the memory is refused from its size on the meta device, before
        # any allocation could fail (or be granted by overcommit, and the process killed later).
        processes = self.launch.local_world_size if self.device.type == "cpu" else 1
        check_memory(task_class(cfg), cfg, self.data, self.device, self.precision, processes)
        self.task = build_task(cfg, self.data, self.device, self.precision)
        self.steps = Steps(self.task, self.device)  # the phases, their scalers (train/steps.py)
        self.columns = log_columns(self.task)
        if self.launch.distributed:
            self._notes += distributed.distribute_task(self.task, self.launch, self.device, cfg)
        self.ema = (
            {k: EMA(self.task.nets[k]) for k in self.task.ema_targets}
            if (cfg.train.ema_halflife > 0)
            else {}
        )
        # The rates the optimizers were built with: the schedule's base (before a resume loads
        # the scheduled rates of the checkpoint).
        self._base_lr = {
            k: [float(g["lr"]) for g in o.param_groups] for k, o in self.task.optimizers.items()
        }
        self.gen = torch.Generator(device=self.device).manual_seed(cfg.train.seed + 1)
        self._hyper: dict[str, Any] | None = None  # the task's scheduled settings, if any
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
                self.task.precision,
                self.task.graph_capturable,
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
        self.evaluation = self.task.training_evaluator() if cfg.train.eval_every > 0 else None
        self._sweep()  # temporary files of writers killed in this run folder (or of a new one)

    # ------------------------------------------------------------------ construction helpers
    @property
    def notes(self) -> list[str]:
        """One-line notes about runtime fallbacks (precision, compile, graphs, distributed)."""
        return self._notes + list(self.task.notes)

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
        """Everything a checkpoint holds of this run (train/state.py)."""
        return training_state(self)

    def load_checkpoint(self, path: str | Path) -> None:
        """Continue from the checkpoint at ``path`` (untrusted input: checked entry by entry
        against this run's objects first, train/state_checks.py)."""
        restore_training_state(self, Path(path))
        self._set_lr()

    def save_checkpoint(self) -> Path:
        self._sync()
        self._check_finite()
        folder = self.run_dir / "checkpoints"
        path = folder / ckpt.checkpoint_name(self.images_seen)
        if self.is_main:  # the state is the same on every rank (batch-norm statistics aside)
            ckpt.atomic_save(path, self.state_dict())
            ckpt.prune(folder, self.cfg.train.keep_checkpoints, newest=path)
        return path

    # ------------------------------------------------------------------ run folder
    def _prepare_run_dir(self) -> None:
        """The first files: a new run's folder appears with all of them or not at all."""
        if self.run_dir.exists():
            self._first_files()
            return
        final = self.run_dir
        with self.folder.staged() as tmp:  # removed again, parents too, if a first file fails
            self.run_dir = tmp
            try:
                self._first_files()
            finally:
                self.run_dir = final

    def _first_files(self) -> None:
        data_report = self.data.report
        self.folder.prepare(self.cfg.to_yaml(), data_report, self.columns, self.images_seen)
        if self.evaluation is not None and self.is_main:
            self.evaluation.prepare(self.run_dir, self.images_seen)
        if self.images_seen == 0:
            self._save_samples("reals")
        self._write_status("running")

    def _sweep(self) -> None:
        """Temporary files that killed writers left (train/run_folder.py): a note says which."""
        if self.is_main and (note := sweep(self.run_dir)):
            self._notes.append(note)

    def _environment(self, e: Exception) -> GanforgeError | None:
        """The one-line error of an environment failure (disk full, read-only, out of memory,
        train/failures.py) naming the last good checkpoint; None for anything else."""
        last = ckpt.list_checkpoints(self.run_dir / "checkpoints")
        return run_failure(e, self.run_dir, self.images_seen, last[-1] if last else None)

    def _failed(self, e: Exception) -> GanforgeError | None:
        """Mark the run failed in run.json (if that can still be written) with ``e``'s first
        line; returns the one-line error of an environment failure (disk full, out of memory)."""
        error = self._environment(e)
        if self.status != "failed":  # a non-finite loss wrote its own status and message
            text = str(e).strip()
            first = text.splitlines()[0][:300] if text else ""
            with contextlib.suppress(OSError):  # a full disk may refuse run.json too
                self._write_status("failed", error=f"{type(e).__name__}: {first}")
        return error

    def _write_status(self, status: str, **extra: Any) -> None:
        self.status = status
        if self.is_main:
            self.folder.write_status(status_record(self, status, extra))

    # ------------------------------------------------------------------ one iteration
    @property
    def phases(self) -> list[Phase]:
        return self.steps.phases

    @property
    def scalers(self) -> dict[str, torch.amp.GradScaler]:
        return self.steps.scalers

    @property
    def draws_per_iteration(self) -> int:
        return self.steps.draws_per_iteration

    def _draws(self) -> list[Any]:
        return self.steps.draws()

    def _step(self, phase: Phase, batch: Batch, measure: bool) -> dict[str, Tensor]:
        return self.steps.step(phase, batch, self.gen, measure)

    def _iteration(
        self, draws: Sequence[Any], beta: float | Tensor, measure: bool
    ) -> tuple[dict[str, Tensor], dict[str, int]]:
        """The task's phases and the EMA update (train/steps.py): what a CUDA graph captures."""
        return self.steps.iteration(draws, self.gen, self.ema, beta, measure)

    def _run_iteration(self, measure: bool) -> None:
        """The next iteration, eagerly or through its CUDA graph; its scalars go to the log sums."""
        tc = self.cfg.train
        draws = self._draws()
        per_iter = tc.batch_size * self.draws_per_iteration
        halflife = tc.ema_halflife
        if self._hyper is not None and "ema_halflife" in self._hyper and halflife > 0:
            halflife = self._hyper["ema_halflife"]  # the task's schedule (e.g. R3GAN's burn-in)
        beta = ema_beta(per_iter, self.images_seen, halflife, tc.ema_rampup)
        if self._graphs is not None:
            out, counts = self._graphs(torch.stack(draws), beta)
        else:
            out, counts = self._iteration(draws, beta, measure)
        self.scalars.add(out, counts)

    def _set_lr(self) -> None:
        """Learning rates (and betas) for the next iteration: the task's schedule where it has
        one (``Task.hyperparameters``), else the base rates under ``train.lr_schedule``."""
        tc = self.cfg.train
        self._hyper = self.task.hyperparameters(self.images_seen)
        f = lr_factor(tc.lr_schedule, self.images_seen, tc.images, self.task.schedule_start)
        lrs = (self._hyper or {}).get("lr", {})
        betas = (self._hyper or {}).get("betas", {})
        for k, opt in self.task.optimizers.items():
            for group, base in zip(opt.param_groups, self._base_lr[k]):
                lr = lrs[k] if k in lrs else base * f
                if isinstance(group["lr"], Tensor):  # a CUDA graph reads it on the device
                    group["lr"].fill_(lr)
                else:
                    group["lr"] = lr
                if k in betas and "betas" in group:
                    group["betas"] = tuple(betas[k])

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
            **{
                f"lr_{k.lower()}": float(o.param_groups[0]["lr"])
                for k, o in self.task.optimizers.items()
            },
            img_per_s=(self.images_seen - seen0) / max(now - t0, 1e-9),
            wall_s=self.wall_time,
        )
        self._last_log = (self.images_seen, now)
        if not self.is_main:
            return
        self.folder.append_metrics(row, self.columns)
        if self._bar is not None:
            shown = {
                k.split("_")[0]: f"{row.get(k, float('nan')):.3f}"
                for k in self.task.progress_columns
            }
            self._bar.set_postfix(**shown, ips=f"{row['img_per_s']:.0f}")

    def sample_nets(self) -> dict[str, nn.Module]:
        """The networks samples and evaluations use: the EMA copies where kept, else the live ones."""
        return {k: (self.ema[k].model if k in self.ema else m) for k, m in self.task.nets.items()}

    def sample_model(self) -> nn.Module:
        """The generator G used for samples (its EMA copy when EMA is on)."""
        return self.sample_nets()["G"]

    def _save_samples(self, tag: str) -> None:
        if not self.is_main:
            return
        path = self.run_dir / "samples" / f"{tag}.png"
        if tag == "reals":
            self.task.save_reals(path, self.cfg.train.grid_size)
            return
        self.task.save_samples(path, self.sample_nets(), self.fixed)
        plot_losses(self.folder.metrics, self.run_dir / "losses.png")

    def _evaluate(self) -> None:
        """Score the sample model (evaluation/training.py); keep best.safetensors when it improves."""
        if not self.is_main:
            distributed.barrier(self.launch)  # the other ranks wait while rank 0 evaluates
            return
        t0 = time.perf_counter()
        model = self.task.inference(self.sample_nets())
        improved = self.evaluation.run(model, self.images_seen, self.run_dir)
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
    def fit(
        self, on_finish: OnFinish | None = None, on_start: Callable[[Path], None] | None = None
    ) -> Trainer:
        """Train until ``train.images``; Ctrl-C (or SIGTERM) saves a checkpoint and re-raises.
        Any other failure marks the run ``failed`` in run.json, with the error, and re-raises.
        ``on_finish`` runs on rank 0 when the run finished (``ganforge train`` and
        ``ganforge.train()`` pass the report page's writer). ``on_start`` runs on every rank once
        the run folder holds its first files (the CLI then says where the run is)."""
        cfg, tc = self.cfg, self.cfg.train
        new = not self.run_dir.exists()
        try:
            self._prepare_run_dir()
        except OSError as e:  # a full disk, a read-only folder: one line (and no half-made folder)
            if new and (error := environment_error(e)) is not None:
                raise GanforgeError(f"cannot make the run folder {self.run_dir}: {error}") from None
            raise (self._environment(e) or e) from None
        if on_start is not None:
            on_start(self.run_dir)
        total = tc.images
        per_iter = tc.batch_size * self.draws_per_iteration
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
        scheduled = tc.lr_schedule != "constant" or self.task.hyperparameters(0) is not None
        if scheduled:
            self._set_lr()  # the settings of the first iteration (a new or a resumed run)
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
                if scheduled:
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
            if (error := self._failed(e)) is not None:
                raise error from None
            raise
        finally:
            restore()
            self._bar.close()
            with contextlib.suppress(OSError):  # TensorBoard's flush on a full disk
                self.folder.close()
        self._sweep()  # what a writer killed just before this (re)start left, now stale
        try:
            self._write_status("finished")
            if on_finish is not None and self.is_main:
                try:
                    extra = on_finish(self.run_dir)
                except (GanforgeError, OSError) as e:  # the training is saved: a note, no failure
                    self._notes.append(str(e))
                    extra = {}
                self._write_status("finished", **extra)
        except OSError as e:
            raise (self._environment(e) or e) from None
        return self
