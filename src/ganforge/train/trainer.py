"""The training loop: the same mechanics for every task, the method in the task.

One iteration runs the task's phases in order (``Task.phases``, ganforge/tasks/base.py): for a GAN,
``n_critic`` discriminator steps (each on a fresh real batch) then one generator step; for each
phase the Trainer freezes the phase's frozen networks, asks the phase for its loss, and does
zero_grad, backward (scaled under fp16), the gradient-norm measurement at log steps and the
optimizer step; then it updates the EMA copies (``Trainer._iteration``). Progress is counted in
images, learning rates follow ``train.lr_schedule`` from the optimizers' base rates, and scalars
stay on the device, summed, read (one host sync) only every ``log_every`` images, which is also
when NaN/inf is detected. With ``runtime.cuda_graphs`` on a GPU, a task that declares its
iteration capturable (``Task.graph_problem`` is None) has it captured once and replayed
(train/cuda_graph.py); the eager iteration is its reference twin. Nothing here depends on which
task it trains: EMA targets, log and progress columns, curve panels and whether an iteration may
be captured are the task's to declare. ``train.minutes`` bounds the training clock, kept across resumes.

The run's progress, noise generator and unwritten log sums are a ``TrainingState`` that
train/state.py owns (and checkpoints); metrics.csv is the run folder's (train/run_folder.py), and
the logger sinks of ``train.loggers`` (ganforge/loggers: TensorBoard, plug-ins') get the same rows,
the evaluation scores and the sample grids. What the run folder holds is listed in
train/run_folder.py. Under torchrun (runtime/distributed.py)
every process trains its slice of each global batch and rank 0 alone writes the folder; scalars are
averaged over the processes at log steps only.
"""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ganforge.atomic import atomic_write_bytes
from ganforge.config import Config, load_run_config
from ganforge.data.dataset import ImageData
from ganforge.errors import GanforgeError, environment_error
from ganforge.evaluation.training import BEST_NAME
from ganforge.loggers import Loggers, check_sinks
from ganforge.plots import plot_losses
from ganforge.runtime import distributed
from ganforge.tasks.base import Batch, Phase
from ganforge.tasks.registry import build_task, check_config, load_task_data, task_class
from ganforge.train import checkpoint as ckpt
from ganforge.train.cuda_graph import GraphedIterations, graph_problem
from ganforge.train.ema import EMA
from ganforge.train.failures import run_failure
from ganforge.train.init import InitRecord, open_source
from ganforge.train.init import initialise as init_weights
from ganforge.train.memory import check_memory
from ganforge.train.process import start_process
from ganforge.train.progress import Progress
from ganforge.train.run_folder import RunFolder, new_run_path, sweep
from ganforge.train.schedules import ema_beta, lr_factor, set_rates
from ganforge.train.state import (
    Parts,
    TrainingState,
    checkpoint_state,
    restore_state,
    status_record,
)
from ganforge.train.steps import Steps, log_columns
from ganforge.train.stopping import StopControl

OnFinish = Callable[[Path], dict[str, Any]]
"""Called with the run folder when a run finishes (e.g. the report page); returns run.json
entries to add. Raising GanforgeError makes it a note, never a failed run."""


class Trainer:
    """Builds data, networks and optimizers from a Config and trains them.

    ``Trainer(cfg).fit()`` starts a new run; ``Trainer.resume(run_dir).fit()`` continues one.
    ``data`` may be passed to skip loading (tests, notebooks).
    """

    def __init__(
        self,
        cfg: Config,
        run_dir: str | Path | None = None,
        data: ImageData | None = None,
        initialise: bool = True,
    ) -> None:
        """``initialise=False``: skip ``train.init`` (a resumed run loads its own checkpoint)."""
        self.cfg = cfg
        check_config(cfg)  # the task's own checks, before any data is read or folder made
        rt = cfg.runtime
        process = start_process(cfg, run_dir)  # launch, device, precision (train/process.py)
        self.launch, self.device, self.precision = process.launch, process.device, process.precision
        self.is_main, self.shard = self.launch.is_main, process.shard
        self._notes: list[str] = process.notes
        # The logger sinks: names and libraries checked before any data is read or file written
        # (train.loggers; runtime.tensorboard=false of earlier configs takes tensorboard out).
        self.sink_names = [
            n for n in cfg.train.loggers if n != "tensorboard" or cfg.runtime.tensorboard
        ]
        if self.is_main:
            self._notes += check_sinks(self.sink_names, cfg.train.loggers_required)
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
        self.init: InitRecord | None = None
        if cfg.train.init and initialise:  # before the EMA copies: they start from these weights
            self.init = init_weights(
                open_source(cfg.train.init), cfg, self.task.nets, self.data.num_classes
            )
            if self.init.fresh:
                self._notes.append(
                    f"train.init: {cfg.train.init} holds no weights of {', '.join(self.init.fresh)}, "
                    "which start from scratch"
                )
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
        # Progress, the noise generator and the log sums: train/state.py's (and checkpointed).
        self.state = TrainingState(self.device, cfg.train.seed)
        self._hyper: dict[str, Any] | None = None  # the task's scheduled settings, if any
        self._last_log = (0, time.perf_counter())
        self._bar: Any = None
        self.stops = StopControl(self.launch, cfg.train.minutes)  # Ctrl-C, train.minutes
        self.status = "new"
        self._graphs: GraphedIterations | None = None
        self._use_graph = False
        if rt.cuda_graphs:
            problem = graph_problem(
                self.device,
                self.launch.world_size,
                self.task.precision,
                self.task.graph_problem(),  # a capability the task declares
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
        self.folder = RunFolder(self.run_dir, self.is_main)
        self.loggers = Loggers(self._notes.append)  # started when training starts
        self.fixed = self.task.fixed_inputs(cfg.train.grid_size, cfg.train.seed)
        self.evaluation = self.task.training_evaluator() if cfg.train.eval_every > 0 else None
        self._sweep()  # temporary files of writers killed in this run folder (or of a new one)

    # ------------------------------------------------------------------ construction helpers
    @property
    def notes(self) -> list[str]:
        """One-line notes about runtime fallbacks (precision, compile, graphs, distributed,
        logger sinks)."""
        return self._notes + list(self.task.notes)

    # The run's progress lives in its TrainingState (train/state.py); these read and set it.
    @property
    def images_seen(self) -> int:
        return self.state.images_seen

    @images_seen.setter
    def images_seen(self, value: int) -> None:
        self.state.images_seen = value

    @property
    def iterations(self) -> int:
        """Iterations done (one pass over the task's phases; a GAN's generator steps)."""
        return self.state.iterations

    @property
    def wall_time(self) -> float:
        return self.state.wall_time

    @property
    def gen(self) -> torch.Generator:
        """The run's noise generator (checkpointed)."""
        return self.state.gen

    @property
    def scalars(self) -> Any:
        """The log sums not yet written (train/scalars.py)."""
        return self.state.scalars

    @classmethod
    def resume(
        cls,
        run_dir: str | Path,
        overrides: Mapping[str, Any] | Iterable[str] | None = None,
        data: ImageData | None = None,
    ) -> Trainer:
        """Continue a run from its newest checkpoint. Overrides (``--set`` strings, or dotted
        keys to values) may change e.g. train.images."""
        run_dir = Path(run_dir)
        cfg = load_run_config(run_dir, overrides)
        found = ckpt.list_checkpoints(run_dir / "checkpoints")
        if not found:
            raise GanforgeError(
                f"{run_dir} has no checkpoint to resume from (it stopped before the first one); "
                "start a new run instead"
            )
        trainer = cls(cfg, run_dir=run_dir, data=data, initialise=False)
        trainer.load_checkpoint(found[-1])
        return trainer

    # ------------------------------------------------------------------ state
    def _parts(self) -> Parts:
        """What a checkpoint holds besides the TrainingState (train/state.py)."""
        data_meta = {
            "channels": self.cfg.data.channels,
            "resolution": self.cfg.data.resolution,
            "source": self.cfg.data.source,
            **self.data.checkpoint_meta(),  # what the data records of itself (classes, ...)
        }
        return Parts(
            task=self.task,
            ema=self.ema,
            scalers=self.scalers,
            evaluation=self.evaluation,
            meta={
                "model": self.cfg.to_dict()["model"],
                "data": data_meta,
                # Where the weights started (train.init); a resumed run knows the source only.
                **({"init": self.init.to_dict()} if self.init else {}),
                **(
                    {"init": {"source": self.cfg.train.init}}
                    if self.cfg.train.init and not self.init
                    else {}
                ),
            },
        )

    def state_dict(self) -> dict[str, Any]:
        """Everything a checkpoint holds of this run (train/state.py)."""
        return checkpoint_state(self.state, self._parts())

    def load_checkpoint(self, path: str | Path) -> None:
        """Continue from the checkpoint at ``path`` (untrusted input: checked entry by entry
        against this run's objects first, train/state_checks.py)."""
        restore_state(self.state, self._parts(), Path(path))
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
        if self.is_main:
            for name, content in self.task.run_files().items():  # e.g. a tokenizer.json
                atomic_write_bytes(self.run_dir / name, content)
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
        if not self.is_main:
            return
        run = {
            "name": self.cfg.name,
            "images_total": self.cfg.train.images,
            "device": str(self.device),
            "world_size": self.launch.world_size,
            "precision": self.precision,
            "compile": self.cfg.runtime.compile,
            "cuda_graphs": self._use_graph,
            "notes": self.notes,
        }
        record = status_record(self.state, status, run, self.run_dir, self.evaluation, extra)
        self.folder.write_status(record)

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

    def _step(
        self, phase: Phase, batch: Batch, measure: bool, carry: Any = None
    ) -> tuple[dict[str, Tensor], Any]:
        return self.steps.step(phase, batch, self.gen, measure, carry)

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
        set_rates(self.task.optimizers, self._base_lr, f, self._hyper)

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
            f"(iteration {self.iterations}); {keep}; lower the learning rates or add a penalty"
        )

    def _sync(self) -> None:
        """Under torchrun, at log and checkpoint steps: the ranks' sums and stop flags agreed
        (train/stopping.py)."""
        self.stops.sync(self.images_seen, self.wall_time, self.scalars, self.device)

    def _log(self) -> None:
        self._sync()
        self._check_finite()
        now = time.perf_counter()
        seen0, t0 = self._last_log
        row: dict[str, Any] = self.scalars.means()
        row.update(
            images=self.images_seen,
            iterations=self.iterations,
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
        self.folder.append_metrics(row, self.columns)  # the run's own record, always
        self.loggers.scalars(
            self.images_seen, {k: v for k, v in row.items() if k not in ("images", "iterations")}
        )
        if self._bar is not None:
            self._bar.row(row)

    def sample_nets(self) -> dict[str, nn.Module]:
        """The networks samples and evaluations use: the EMA copies where kept, else the live ones."""
        return {k: (self.ema[k].model if k in self.ema else m) for k, m in self.task.nets.items()}

    def inference(self) -> Any:
        """The model as trained so far, for inference (``Task.inference`` on the EMA copies):
        what evaluation during training scores; ``.require("sample")`` etc. as for a loaded run."""
        return self.task.inference(self.sample_nets())

    def _save_samples(self, tag: str) -> None:
        if not self.is_main:
            return
        path = self.run_dir / "samples" / f"{tag}.png"
        if tag == "reals":
            self.task.save_reals(path, self.cfg.train.grid_size)
            return
        self.task.save_samples(path, self.sample_nets(), self.fixed)
        self.loggers.image(self.images_seen, "samples", path)
        plot_losses(self.folder.metrics, self.run_dir / "losses.png", self.task.plot_panels)

    def _evaluate(self) -> None:
        """Score the sample model (evaluation/training.py); keep best.safetensors when it improves."""
        if not self.is_main:
            distributed.barrier(self.launch)  # the other ranks wait while rank 0 evaluates
            return
        t0 = time.perf_counter()
        improved = self.evaluation.run(self.inference(), self.images_seen, self.run_dir)
        if self.evaluation.last_scores:
            self.loggers.scores(self.images_seen, self.evaluation.last_scores)
        if improved:
            ckpt.atomic_save(self.run_dir / BEST_NAME, self.state_dict())
        self._write_status("running")
        # Leave the evaluation out of the next img/s reading: it measures training speed.
        seen, t = self._last_log
        self._last_log = (seen, t + time.perf_counter() - t0)
        distributed.barrier(self.launch)

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
        if self.is_main:  # the sinks log what rank 0 writes; a resume trims what they had after it
            try:
                resume_at = self.images_seen
                self.loggers.start(
                    self.sink_names, self.run_dir, cfg.to_dict(), resume_at, tc.loggers_required
                )
            except GanforgeError as e:
                self._failed(e)
                raise
        per_iter = tc.batch_size * self.draws_per_iteration
        self._bar = Progress(
            total,
            self.images_seen,
            cfg.name,
            self.task.progress_columns or self.task.log_columns[:2],
            cfg.runtime.progress and self.is_main,
        )
        if self._use_graph and self._graphs is None:  # kept by later fit() calls
            lr_on_device = tc.lr_schedule != "constant"
            self._graphs = GraphedIterations(self._iteration, self.task, self.gen, lr_on_device)
        scheduled = tc.lr_schedule != "constant" or self.task.hyperparameters(0) is not None
        if scheduled:
            self._set_lr()  # the settings of the first iteration (a new or a resumed run)
        self._last_log = (self.images_seen, time.perf_counter())
        started = time.perf_counter() - self.wall_time
        restore = self.stops.install_handlers()
        try:
            stops = self.stops
            while (
                self.images_seen < total
                and not stops.stopping()
                and not stops.out_of_time(self.wall_time)
            ):
                prev = self.images_seen
                nxt = prev + per_iter
                measure = prev // tc.log_every != nxt // tc.log_every
                self._run_iteration(measure)
                self.state.images_seen, self.state.iterations = nxt, self.iterations + 1
                if scheduled:
                    self._set_lr()
                self._bar.update(per_iter)
                self.state.wall_time = time.perf_counter() - started
                # bookkeeping at image boundaries; the time budget ends a run as its images do
                if measure:
                    self._sync()  # under torchrun: the ranks agree on the time budget here
                done = self.images_seen >= total or stops.out_of_time(self.wall_time)
                if measure or done:
                    self._log()
                if prev // tc.sample_every != nxt // tc.sample_every or done:
                    self._save_samples(f"fakes-{self.images_seen:012d}")
                if self.evaluation is not None and self.evaluation.due(prev, nxt):
                    self._evaluate()
                if prev // tc.checkpoint_every != nxt // tc.checkpoint_every or done:
                    self.save_checkpoint()
                    self._write_status("running")
            if stops.stopping():
                # Stopped between iterations, so the checkpoint is a consistent state.
                self.save_checkpoint()
                sig = stops.signal
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
            self.loggers.close()  # a sink that fails to flush (a full disk) is a note
        self._sweep()  # what a writer killed just before this (re)start left, now stale
        if self.stops.time_spent:
            self._notes.append(
                f"train.minutes={tc.minutes:g} reached at {self.images_seen:,} images: the run "
                "ended there (resume with a larger train.minutes to go on)"
            )
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
