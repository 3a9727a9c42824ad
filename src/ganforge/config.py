"""Typed run configuration: dataclasses with docstrings, YAML presets, dotted ``--set`` overrides.

Every field's docstring (the string literal under it) is also its CLI help (`ganforge train --help-config`).
Validation happens in ``__post_init__`` so a bad value fails before any data is read.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ganforge.config_i2i import TASKS, I2IConfig, check_i2i
from ganforge.errors import GanforgeError


def _choice(value: str, allowed: tuple[str, ...], key: str) -> None:
    if value not in allowed:
        hint = difflib.get_close_matches(value, allowed, n=1)
        extra = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise GanforgeError(f"{key}={value!r} is not one of {', '.join(allowed)}{extra}")


@dataclass
class DataConfig:
    source: str = "fashion-mnist"
    """fashion-mnist | mnist | cifar10 | folder:PATH | toy-ring | toy-grid."""
    split: str = "train"
    """train | test (IDX and CIFAR sets)."""
    resolution: int = 32
    """Side in pixels the images are brought to (resize, then centre-crop)."""
    channels: int = 1
    """1 (grayscale) or 3 (RGB); images are converted to this."""
    background: str = "white"
    """Colour that transparent pixels (RGBA, LA, palette) are composited onto: a name or #rrggbb."""
    hflip: bool = False
    """Random horizontal flips (augmentation, applied per batch)."""
    cache_dir: str = ""
    """Where downloads go; empty means $GANFORGE_CACHE or ~/.cache/ganforge."""
    download: bool = True
    """Fetch canonical data sets when they are not found locally."""
    max_images: int = 0
    """Use only the first N images (0: all)."""
    toy_samples: int = 50_000
    """Number of points drawn for the 2-D toy sets."""
    toy_std: float = 0.02
    """Standard deviation of each toy Gaussian mode (the ring has radius 2, the grid spacing 2)."""

    def __post_init__(self) -> None:
        _choice(self.split, ("train", "test"), "data.split")
        if self.channels not in (1, 3):
            raise GanforgeError(f"data.channels={self.channels} must be 1 or 3")
        if self.resolution < 4:
            raise GanforgeError(f"data.resolution={self.resolution} is too small (at least 4)")

    @property
    def is_toy(self) -> bool:
        return self.source.startswith("toy-")


@dataclass
class ModelConfig:
    task: str = "gan"
    """gan (noise -> image, model.arch) | pix2pix | cyclegan | srgan (image -> image: the i2i
    section picks their networks and losses; model.g_width/d_width still set the widths)."""
    arch: str = "dcgan"
    """mlp (the classic tutorial MLP) | dcgan | resnet (SNGAN) | toy (MLP pair for 2-D points)."""
    z_dim: int = 100
    """Latent size."""
    g_width: int = 64
    """Generator base width (channels of the last hidden conv layer; ResNet: all blocks)."""
    d_width: int = 64
    """Discriminator base width (channels of the first conv layer)."""
    g_hidden: list[int] = field(default_factory=lambda: [256])
    """Hidden sizes of the MLP / toy generator."""
    d_hidden: list[int] = field(default_factory=lambda: [100, 50])
    """Hidden sizes of the MLP / toy discriminator."""
    d_norm: str = "batch"
    """Normalisation in the DCGAN discriminator: batch | layer | none (WGAN-GP needs no batch norm)."""
    spectral_norm: bool = False
    """Spectral normalisation on every discriminator layer (Miyato et al. 2018)."""
    conditional: str = "none"
    """none | concat (label embedding concatenated to z and to D's input, cGAN) | projection (D only
    gets the label through a projection term, Miyato & Koyama 2018; G uses conditional batch norm)."""
    embed_dim: int = 50
    """Size of the label embedding for concat conditioning."""
    d_dropout: float = 0.0
    """Dropout in the MLP discriminator."""

    def __post_init__(self) -> None:
        _choice(self.task, TASKS, "model.task")
        _choice(self.arch, ("mlp", "dcgan", "resnet", "toy"), "model.arch")
        _choice(self.d_norm, ("batch", "layer", "none"), "model.d_norm")
        _choice(self.conditional, ("none", "concat", "projection"), "model.conditional")
        # A zero width only fails deep inside the first convolution, mid-run: refuse it here.
        for k in ("z_dim", "g_width", "d_width", "embed_dim"):
            if getattr(self, k) < 1:
                raise GanforgeError(f"model.{k}={getattr(self, k)} must be at least 1")
        for k in ("g_hidden", "d_hidden"):
            if any(n < 1 for n in getattr(self, k)):
                raise GanforgeError(f"model.{k}={getattr(self, k)} sizes must each be at least 1")
        if not 0 <= self.d_dropout < 1:
            raise GanforgeError(f"model.d_dropout={self.d_dropout} must be in [0, 1)")


@dataclass
class OptimConfig:
    name: str = "adam"
    """adam | rmsprop."""
    lr: float = 2e-4
    """Learning rate."""
    betas: list[float] = field(default_factory=lambda: [0.5, 0.999])
    """Adam's (beta1, beta2); ignored by RMSprop."""
    weight_decay: float = 0.0
    """L2 weight decay."""

    def check(self, section: str) -> None:
        """Called by ``Config.__post_init__`` with ``g_optim`` or ``d_optim``, so errors name it."""
        _choice(self.name, ("adam", "rmsprop"), f"{section}.name")
        if len(self.betas) != 2 or not all(0 <= b < 1 for b in self.betas):
            raise GanforgeError(
                f"{section}.betas={self.betas} must be two numbers in [0, 1), e.g. [0.5, 0.999]"
            )
        if self.lr <= 0:
            raise GanforgeError(f"{section}.lr={self.lr} must be positive")
        if self.weight_decay < 0:
            raise GanforgeError(f"{section}.weight_decay={self.weight_decay} must be >= 0")


@dataclass
class LossConfig:
    name: str = "auto"
    """minimax | nonsaturating | lsgan | hinge | wasserstein | auto (the task's paper loss:
    lsgan for CycleGAN, nonsaturating otherwise)."""
    gp_weight: float = 0.0
    """WGAN-GP gradient penalty lambda (Gulrajani et al. 2017); 0 disables."""
    r1_gamma: float = 0.0
    """R1 penalty gamma on real data (Mescheder et al. 2018); 0 disables."""
    r1_every: int = 1
    """Apply R1 every N discriminator steps, scaled by N (lazy regularisation, StyleGAN2)."""
    clip: float = 0.0
    """WGAN weight clipping bound c (Arjovsky et al. 2017); 0 disables."""
    label_smoothing: float = 0.0
    """One-sided label smoothing: real targets become 1 - s (Salimans et al. 2016)."""

    def __post_init__(self) -> None:
        from ganforge.losses.adversarial import LOSSES

        _choice(self.name, ("auto", *LOSSES), "loss.name")
        for k in ("gp_weight", "r1_gamma", "clip"):
            if getattr(self, k) < 0:
                raise GanforgeError(f"loss.{k}={getattr(self, k)} must be >= 0 (0 disables it)")
        if not 0 <= self.label_smoothing < 1:
            raise GanforgeError(f"loss.label_smoothing={self.label_smoothing} must be in [0, 1)")
        if self.label_smoothing and self.name == "wasserstein":
            # The critic's loss D(G(z)) - D(x) has no target label to smooth.
            raise GanforgeError(
                "loss.label_smoothing has no meaning for loss.name=wasserstein (no target labels): "
                "set it to 0"
            )
        if self.r1_every < 1:
            raise GanforgeError("loss.r1_every must be at least 1")


@dataclass
class TrainConfig:
    images: int = 300_000
    """Length of the run in real images shown to the discriminator."""
    batch_size: int = 64
    """Images per step."""
    n_critic: int = 1
    """Discriminator steps per generator step."""
    ema_halflife: int = 10_000
    """Generator EMA half-life in images (0 disables EMA); batch-size independent."""
    ema_rampup: float = 0.05
    """EMA half-life is at most this fraction of images seen so far (early EMA tracks fast); 0: off."""
    lr_schedule: str = "constant"
    """constant | linear (decays to 0 over the second half of the run) | step (x0.1 for the
    second half)."""
    seed: int = 0
    """Seed for weights, noise and data order."""
    log_every: int = 2_000
    """Images between metrics.csv rows (scalars are read from the device only then)."""
    sample_every: int = 20_000
    """Images between sample grids on fixed noise."""
    checkpoint_every: int = 50_000
    """Images between checkpoints."""
    keep_checkpoints: int = 3
    """How many recent checkpoints to keep."""
    report: bool = True
    """Write report.html (the `ganforge report` page) into the run folder when the run finishes."""
    grid_size: int = 64
    """Samples in each grid (a square number looks best)."""
    eval_every: int = 0
    """Images between evaluations of the EMA generator (metrics-eval.csv, metrics.png,
    best.safetensors); 0: off."""
    eval_metrics: list[str] = field(default_factory=list)
    """Metrics per evaluation: fd | kid | is | pr | dc | modes; empty: fd (+ modes where the
    feature network knows the classes; toy data: modes)."""
    eval_n: int = 10_000
    """Generated samples per evaluation (and real images in its reference statistics)."""
    eval_features: str = "auto"
    """Feature network: auto (fmnist for Fashion-MNIST, mnist for MNIST, else inception) | fmnist |
    mnist | inception."""
    best_metric: str = ""
    """Value that picks best.safetensors, e.g. fd_fmnist (lower is better) or recall (higher);
    empty: the first value the metrics report."""

    def __post_init__(self) -> None:
        _choice(self.lr_schedule, ("constant", "linear", "step"), "train.lr_schedule")
        # the names of ganforge.evaluation.FEATURES (not imported: the config module stays light)
        _choice(self.eval_features, ("auto", "fmnist", "mnist", "inception"), "train.eval_features")
        if self.eval_every < 0 or self.eval_n < 1:
            raise GanforgeError("train.eval_every must be >= 0 (0: off) and train.eval_n >= 1")
        if self.eval_metrics:
            from ganforge.evaluation import parse_metrics

            parse_metrics(self.eval_metrics)
        for k in ("images", "batch_size", "n_critic", "log_every", "sample_every"):
            if getattr(self, k) < 1:
                raise GanforgeError(f"train.{k}={getattr(self, k)} must be at least 1")
        if self.checkpoint_every < 1 or self.keep_checkpoints < 1:
            raise GanforgeError("train.checkpoint_every and train.keep_checkpoints must be >= 1")
        for k in ("ema_halflife", "ema_rampup"):
            if getattr(self, k) < 0:
                raise GanforgeError(f"train.{k}={getattr(self, k)} must be >= 0 (0: off)")


@dataclass
class RuntimeConfig:
    device: str = "auto"
    """auto | cpu | cuda | cuda:N (under torchrun: auto or cuda, each process takes cuda:LOCAL_RANK)."""
    precision: str = "auto"
    """auto (bf16 autocast where the device computes bf16 natively, else fp32) | fp32 | bf16 |
    fp16 (float16 autocast with a gradient scaler; CUDA only, elsewhere bf16 or fp32 with a note)."""
    channels_last: bool = True
    """NHWC memory layout for conv nets (faster convolutions on CPU and GPU); eager mode only:
    with runtime.compile, torch.compile chooses the layouts."""
    compile: bool = False
    """torch.compile the G and D training calls (slow first step; eager where it cannot compile)."""
    cuda_graphs: bool = False
    """On a GPU, capture a whole training iteration as a CUDA graph and replay it (GAN tasks, one
    process, fp32/bf16; eager with a note where it cannot). Removes the per-kernel launch cost that
    bounds small models on large GPUs."""
    sync_bn: bool = False
    """Under torchrun, batch norm over the global batch (SyncBatchNorm; CUDA only in PyTorch)."""
    threads: int = 0
    """CPU threads for PyTorch (0: leave PyTorch's default)."""
    keep_cpu_memory: bool = True
    """On CPU (Linux, glibc): keep freed memory in the process instead of handing it back to the OS,
    so each step's activations reuse warm pages instead of page-faulting new ones (DCGAN-32 18-26%
    faster on 2 cores). Process-wide; the process keeps its peak heap size."""
    progress: bool = True
    """Show a progress bar."""
    tensorboard: bool = True
    """Write TensorBoard events when tensorboard is installed."""

    def __post_init__(self) -> None:
        _choice(self.precision, ("auto", "fp32", "bf16", "fp16"), "runtime.precision")


@dataclass
class Config:
    name: str = "dcgan-fashion-mnist"
    """Run name; the run folder is OUT_DIR/DATE-NAME."""
    description: str = ""
    """One line shown by `ganforge presets`."""
    out_dir: str = "runs"
    """Parent folder of run folders."""
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    g_optim: OptimConfig = field(default_factory=OptimConfig)
    d_optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    runtime: RuntimeConfig = field(default_factory=RuntimeConfig)
    i2i: I2IConfig = field(default_factory=I2IConfig)

    def __post_init__(self) -> None:
        self.g_optim.check("g_optim")
        self.d_optim.check("d_optim")
        check_i2i(self)  # image-to-image tasks; model.arch and its checks are for task gan
        gan = self.model.task == "gan"
        if self.loss.clip > 0 and self.loss.gp_weight > 0:
            raise GanforgeError("loss.clip and loss.gp_weight are two alternatives: set one to 0")
        if self.model.arch == "toy" and not self.data.is_toy:
            raise GanforgeError("model.arch=toy needs data.source=toy-ring or toy-grid")
        if self.data.is_toy and self.model.arch != "toy":
            raise GanforgeError(f"data.source={self.data.source} needs model.arch=toy")
        if gan and self.model.arch == "resnet" and self.data.resolution != 32:
            raise GanforgeError("model.arch=resnet is built for 32 px: set data.resolution=32")
        if gan and self.model.arch == "dcgan" and self.data.resolution not in (28, 32, 64):
            raise GanforgeError(
                f"model.arch=dcgan supports data.resolution 28, 32 or 64, not {self.data.resolution}"
            )
        if self.model.d_norm == "batch" and self.loss.gp_weight > 0 and self.model.arch == "dcgan":
            raise GanforgeError(
                "the gradient penalty is per-sample and batch norm mixes samples: "
                "set model.d_norm=layer or none for WGAN-GP"
            )
        if self.train.eval_every > 0:
            from ganforge.train.evaluation import eval_plan

            eval_plan(self)  # metric names, best_metric and eval_n fit the data

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)


# --------------------------------------------------------------------------- building from dicts


def _coerce(value: Any, tp: Any, key: str) -> Any:
    """Check ``value`` against the annotation ``tp``; allow the lossless conversions YAML needs."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return _coerce(value, typing.get_args(tp)[0], key)
    if origin is list:
        if isinstance(value, tuple):
            value = list(value)
        if not isinstance(value, list):
            raise GanforgeError(f"{key} must be a list, got {value!r}")
        (inner,) = typing.get_args(tp)
        return [_coerce(v, inner, f"{key}[{i}]") for i, v in enumerate(value)]
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise GanforgeError(f"{key} must be true or false, got {value!r}")
    if tp is int:
        # 2e6 arrives from YAML as a float or even a string; accept it when it is a whole number.
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise GanforgeError(f"{key} must be an integer, got {value!r}") from None
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise GanforgeError(f"{key} must be an integer, got {value!r}")
    if tp is float:
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                raise GanforgeError(f"{key} must be a number, got {value!r}") from None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise GanforgeError(f"{key} must be a number, got {value!r}")
    if tp is str:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        raise GanforgeError(f"{key} must be a string, got {value!r}")
    raise TypeError(f"unsupported config type {tp} for {key}")


def from_dict(cls: type, data: dict[str, Any], prefix: str = "") -> Any:
    """Build dataclass ``cls`` from a nested dict, rejecting unknown keys with a suggestion."""
    if not isinstance(data, dict):
        if not prefix:
            raise GanforgeError(f"a config must be a mapping of sections, got {data!r}")
        section = prefix.rstrip(".")
        first = dataclasses.fields(cls)[0].name
        raise GanforgeError(
            f"{section} is a section and must be a mapping, got {data!r}: "
            f"set its keys instead, e.g. {section}.{first}=..."
        )
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        full = f"{prefix}{key}"
        if key not in names:
            hint = difflib.get_close_matches(str(key), names, n=1)
            extra = f"; did you mean '{prefix}{hint[0]}'?" if hint else ""
            raise GanforgeError(f"unknown config key {full!r}{extra}")
        tp = hints[key]
        if dataclasses.is_dataclass(tp):
            kwargs[key] = from_dict(tp, value, f"{full}.")
        else:
            kwargs[key] = _coerce(value, tp, full)
    return cls(**kwargs)


def _check_key(dotted: str) -> None:
    """``dotted`` must name a field of Config (a value or a whole section), e.g. ``train.images``."""
    cls: Any = Config
    parts = dotted.split(".")
    for i, part in enumerate(parts):
        hints = typing.get_type_hints(cls)
        full = ".".join(parts[: i + 1])
        if part not in hints:
            parent = full[: -len(part)]
            hint = difflib.get_close_matches(part, list(hints), n=1)
            extra = f"; did you mean '{parent}{hint[0]}'?" if hint else ""
            raise GanforgeError(f"unknown config key {full!r}{extra}")
        cls = hints[part]
        if i < len(parts) - 1 and not dataclasses.is_dataclass(cls):
            raise GanforgeError(
                f"cannot set {dotted!r}: {full} is a value, not a section (set {full}=...)"
            )


def parse_override(text: str) -> tuple[str, Any]:
    """``"train.images=2e6"`` -> ``("train.images", 2000000.0)``; the value is read as YAML."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key or "" in key.split("."):
        raise GanforgeError(
            f"--set {text!r} must look like section.key=value, e.g. train.images=2e6"
        )
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return key, value


def apply_overrides(
    tree: dict[str, Any], overrides: Mapping[str, Any] | Iterable[str] | None
) -> dict[str, Any]:
    """A copy of the raw config ``tree`` with dotted overrides set; ``tree`` is left as it was.

    ``overrides`` is either ``--set`` strings (``["train.images=2e6"]``, values read as YAML) or a
    mapping of dotted keys to values (``{"train.images": 2e6}``). Every key is checked against
    Config first (unknown key, or a value used as a section: one-line GanforgeError); the values
    are checked when the tree becomes a Config (:func:`config_from_dict`).
    """
    if not isinstance(tree, dict):
        raise GanforgeError(f"a config must be a mapping of sections, got {tree!r}")
    tree = copy.deepcopy(tree)
    if overrides is None:
        items: Iterable[tuple[str, Any]] = ()
    elif isinstance(overrides, Mapping):
        items = overrides.items()
    elif isinstance(overrides, str):
        items = [parse_override(overrides)]  # one string, not its characters
    else:
        items = map(parse_override, overrides)
    for key, value in items:
        if not isinstance(key, str) or not key or "" in key.split("."):
            raise GanforgeError(f"config override key {key!r} must look like section.key")
        _check_key(key)
        *sections, last = key.split(".")
        node = tree
        for depth, part in enumerate(sections):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            elif not isinstance(child, dict):
                where = ".".join(sections[: depth + 1])
                raise GanforgeError(
                    f"cannot set {key!r}: {where} in the config is {child!r}, not a mapping"
                )
            node = child
        node[last] = value
    return tree


# --------------------------------------------------------------------------- presets


def preset_names() -> list[str]:
    folder = resources.files("ganforge") / "presets"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def preset_dict(name: str) -> dict[str, Any]:
    path = Path(name)
    if name.endswith((".yaml", ".yml")):
        if not path.is_file():
            raise GanforgeError(f"config file {name} does not exist")
        text = path.read_text()
    else:
        names = preset_names()
        if name not in names:
            hint = difflib.get_close_matches(name, names, n=1)
            extra = f"; did you mean {hint[0]!r}?" if hint else ""
            raise GanforgeError(
                f"unknown preset {name!r}{extra} (run `ganforge presets` to list them)"
            )
        text = (resources.files("ganforge") / "presets" / f"{name}.yaml").read_text()
    try:
        tree = yaml.safe_load(text) or {}
    except yaml.YAMLError as e:
        raise GanforgeError(f"{name}: not valid YAML ({str(e).splitlines()[0]})") from None
    if not isinstance(tree, dict):
        raise GanforgeError(f"{name}: a config must be a YAML mapping")
    return tree


def load_config(
    preset: str = "dcgan-fashion-mnist",
    overrides: Mapping[str, Any] | Iterable[str] | None = None,
) -> Config:
    """A preset name (or a YAML path) plus dotted overrides -> validated Config."""
    return from_dict(Config, apply_overrides(preset_dict(preset), overrides))


def load_run_config(
    run_dir: str | Path, overrides: Mapping[str, Any] | Iterable[str] | None = None
) -> Config:
    """The config a run folder was trained with (its ``config.yaml``), plus dotted overrides.

    What ``ganforge train --resume RUN --set ...`` trains with, and what its ``--dry-run`` prints.
    """
    cfg_file = Path(run_dir) / "config.yaml"
    if not cfg_file.is_file():
        raise GanforgeError(f"{run_dir} is not a ganforge run folder (no config.yaml)")
    try:
        tree = yaml.safe_load(cfg_file.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise GanforgeError(
            f"{cfg_file} is not valid YAML ({str(e).splitlines()[0]}): restore the run's config"
        ) from None
    if not isinstance(tree, dict):
        raise GanforgeError(
            f"{cfg_file} must be a YAML mapping of sections: restore the run's config"
        )
    return from_dict(Config, apply_overrides(tree, overrides))


def config_from_dict(tree: dict[str, Any]) -> Config:
    return from_dict(Config, tree)


def field_docs(cls: type = Config, prefix: str = "") -> list[tuple[str, str, str]]:
    """(dotted key, default, docstring) for every field: the `--help-config` table."""
    import ast
    import inspect

    docs: dict[str, str] = {}
    tree = ast.parse(inspect.getsource(cls))
    body = tree.body[0].body  # type: ignore[attr-defined]
    for a, b in zip(body, body[1:]):
        if (
            isinstance(a, ast.AnnAssign)
            and isinstance(b, ast.Expr)
            and isinstance(b.value, ast.Constant)
        ):
            docs[a.target.id] = " ".join(str(b.value.value).split())  # type: ignore[union-attr]
    rows: list[tuple[str, str, str]] = []
    hints = typing.get_type_hints(cls)
    default = cls()
    for f in dataclasses.fields(cls):
        if dataclasses.is_dataclass(hints[f.name]):
            rows += field_docs(hints[f.name], f"{prefix}{f.name}.")
        else:
            rows.append((f"{prefix}{f.name}", repr(getattr(default, f.name)), docs.get(f.name, "")))
    return rows
