"""``train.init``: start a new run from a trained model's weights, as transfer learning does.

``ganforge train --data folder:~/sprites --init pretrained:dcgan-fashion-mnist`` (or ``--init
RUN``, ``--init hf:USER/NAME[@REV]``) copies the source's networks into the new run before its
first step: the generator from its EMA copy (the weights that sample best; the EMA of the new run
starts from them too), the discriminator where the source kept one (a model folder ships the
generator alone: D then starts from scratch, and the run says so). Everything else is fresh: the
optimizers' moments, the images seen, the learning-rate schedule. This is StyleGAN2-ADA's
"resume from FFHQ" transfer (Karras et al. 2020, "Training Generative Adversarial Networks with
Limited Data", section 4: starting from a model trained on a large set shortens training on a
small one a great deal; their ``--resume`` also keeps the weights only).

The architecture must match: the model section (widths, z_dim, conditioning, ...) and the image
size and channels, which are compared first so that a mismatch is one line saying which setting
differs; a strict ``load_state_dict`` then catches whatever else does not fit. The run records
where it started (``train.init`` in config.yaml, and ``meta.init`` in every checkpoint); a
resumed run continues from its own checkpoint and never reads the source again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

from ganforge.config import Config, load_run_config
from ganforge.errors import GanforgeError
from ganforge.hub.places import open_place
from ganforge.train import checkpoint as ckpt
from ganforge.train.legacy import upgrade

NOT_SHAPES = ("d_dropout",)
"""Model settings that leave every weight's shape and name alone (compared no further)."""


@dataclass
class Source:
    """A trained model to start from: its config, its checkpoint-shaped state, what it saw."""

    spec: str
    cfg: Config
    state: dict[str, Any]
    images_seen: int
    num_classes: int


@dataclass
class InitRecord:
    """What ``train.init`` loaded: recorded in the checkpoints' metadata."""

    source: str
    images_seen: int
    loaded: list[str] = field(default_factory=list)
    fresh: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "images_seen": self.images_seen,
            "loaded": self.loaded,
            "fresh": self.fresh,
        }


def _classes(state: dict[str, Any]) -> int:
    meta = state.get("meta", {})
    data = meta.get("data", {}) if isinstance(meta, dict) else {}
    k = data.get("num_classes", 0) if isinstance(data, dict) else 0
    return k if isinstance(k, int) and not isinstance(k, bool) and k >= 0 else 0


def open_source(spec: str) -> Source:
    """The model ``spec`` names: ``pretrained:NAME``, ``hf:USER/NAME[@REV]``, a model folder, a
    run folder (its newest checkpoint) or a checkpoint file in one."""
    folder = open_place(spec)
    if folder is not None:
        return Source(spec, folder.cfg, folder.state(), folder.images_seen, folder.num_classes)
    path = Path(spec)
    if path.is_file():
        run_dir = path.parent.parent if path.parent.name == "checkpoints" else path.parent
        found = [path]
    elif path.is_dir():
        run_dir, found = path, ckpt.list_checkpoints(path / "checkpoints")
    else:
        raise GanforgeError(
            f"--init {spec}: no such run, model folder or checkpoint (use a run folder, "
            "pretrained:NAME or hf:USER/NAME)"
        )
    if not found:
        raise GanforgeError(f"--init {spec}: the run has no checkpoint yet")
    cfg = load_run_config(run_dir)
    state = upgrade(ckpt.load(found[-1]))
    progress = state.get("progress", {})
    seen = progress.get("images_seen", 0) if isinstance(progress, dict) else 0
    return Source(spec, cfg, state, seen if isinstance(seen, int) else 0, _classes(state))


def check_match(source: Source, cfg: Config, num_classes: int) -> None:
    """Refuse, in one line naming the setting, a source whose networks cannot fit this run's."""
    src, d, sd = source.spec, cfg.data, source.cfg.data
    if source.cfg.model.task != cfg.model.task:
        raise GanforgeError(
            f"--init {src} is a model.task={source.cfg.model.task} model and this run trains "
            f"{cfg.model.task}: fine-tune it with its own task"
        )
    if sd.resolution != d.resolution:
        raise GanforgeError(
            f"--init {src} makes {sd.resolution} px images and this run {d.resolution} px: a "
            f"generator's layers are built for one size; set data.resolution={sd.resolution} "
            "(the images are resized to it)"
        )
    if sd.channels != d.channels:
        raise GanforgeError(
            f"--init {src} makes images of {sd.channels} channel(s) and this run "
            f"{d.channels}: its first and last layers are built for that; set "
            f"data.channels={sd.channels}"
        )
    # An unconditional model fits any data; a conditional one needs its classes (whether this
    # run is conditional at all is model.conditional, compared below with the other settings).
    conditional = source.cfg.model.conditional != "none"
    if conditional and source.num_classes != num_classes:
        raise GanforgeError(
            f"--init {src} is conditioned on {source.num_classes} classes and this run's data "
            f"has {num_classes}: start from an unconditional model, or use data with its classes"
        )
    mine, theirs = cfg.to_dict()["model"], source.cfg.to_dict()["model"]
    differ = [k for k in mine if k not in NOT_SHAPES and mine[k] != theirs.get(k)]
    if differ:
        k = differ[0]
        raise GanforgeError(
            f"--init {src} has model.{k}={theirs.get(k)!r} and this run {mine[k]!r}: the "
            f"architectures must match; drop --set model.{k} (or --preset) to fine-tune it"
        )


def initialise(
    source: Source, cfg: Config, nets: dict[str, nn.Module], num_classes: int
) -> InitRecord:
    """Copy ``source``'s weights into ``nets`` (EMA copies first); a mismatch is one line."""
    check_match(source, cfg, num_classes)
    record = InitRecord(source.spec, source.images_seen)
    kept_ema, kept = source.state.get("ema", {}), source.state.get("nets", {})
    for name, module in nets.items():
        weights = kept_ema.get(name) if isinstance(kept_ema, dict) else None
        if not isinstance(weights, dict):
            weights = kept.get(name) if isinstance(kept, dict) else None
        if not isinstance(weights, dict):
            record.fresh.append(name)
            continue
        try:
            module.load_state_dict(weights)
        except (RuntimeError, KeyError, TypeError, ValueError) as e:
            first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
            raise GanforgeError(
                f"--init {source.spec}: its network {name} does not fit this run's ({first}); "
                "the architectures must match"
            ) from None
        record.loaded.append(name)
    if not record.loaded:
        raise GanforgeError(f"--init {source.spec} holds no weights of this run's networks")
    return record
