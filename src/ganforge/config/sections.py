"""The sections every run config has: data, model, loss, optimizers, train and runtime.

Each field's docstring (the string literal under it) is its CLI help (`ganforge train
--help-config`). ``__post_init__`` checks each value on its own (type, range, finiteness) so a bad
value fails with one line before anything is read or written. Checks that tie a value to the task
that trains it (an architecture's resolutions, a task's losses) belong to that task
(``Task.check_config`` in ganforge/tasks), and checks that need the data or the metrics to the
layer that owns them: this module imports nothing of ganforge but errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import ImageColor

from ganforge.config.checks import SEED_LIMIT, choice, number
from ganforge.errors import GanforgeError

MAX_SIDE = 4096
"""Largest image side a run may ask for (a sanity bound; memory is checked from an estimate)."""
MAX_WIDTH = 16_384
"""Largest network width or latent size accepted (the memory estimate refuses most before it)."""
MAX_IMAGES = 10**13
"""Longest run, in images (~300 years at 1,000 img/s): beyond it counters stop being meaningful."""


@dataclass
class DataConfig:
    source: str = "fashion-mnist"
    """fashion-mnist | mnist | cifar10 | folder:PATH | toy-ring | toy-grid."""
    split: str = "train"
    """train | test (IDX and CIFAR sets)."""
    resolution: int | list[int] = 32
    """Size in pixels the images are brought to (scale to cover, then centre-crop): a side for
    square images, or [height, width] (e.g. [64, 96]; model.task=r3gan makes non-square images)."""
    channels: int = 1
    """1 (grayscale), 3 (RGB) or 4 (RGBA: transparency kept and generated, e.g. sprites and
    icons; model.task=r3gan); images are converted to this."""
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
    exclude: str = ""
    """A groups file of `ganforge dedup` (OUT/groups.json): all but the first image of each group
    of duplicates are left out of the source, before max_images (data_report.json lists them);
    empty: none."""
    max_pixels: int = 64_000_000
    """Largest image file read from a folder, in pixels (width x height, from its header, before
    decoding): larger files are skipped and listed in data_report.json, so one decompression bomb
    cannot exhaust memory."""
    toy_samples: int = 50_000
    """Number of points drawn for the 2-D toy sets."""
    toy_std: float = 0.02
    """Standard deviation of each toy Gaussian mode (the ring has radius 2, the grid spacing 2)."""

    def __post_init__(self) -> None:
        choice(self.split, ("train", "test"), "data.split")
        if self.channels not in (1, 3, 4):
            raise GanforgeError(f"data.channels={self.channels} must be 1, 3 or 4 (RGBA)")
        if isinstance(self.resolution, list):
            if len(self.resolution) != 2:
                raise GanforgeError(
                    f"data.resolution={self.resolution} must be one side or [height, width]"
                )
            if self.resolution[0] == self.resolution[1]:
                self.resolution = self.resolution[0]  # [64, 64] is 64: one spelling per size
        for side in self.size:
            number(side, "data.resolution", 4, MAX_SIDE, hint=" (pixels a side)")
        number(self.max_images, "data.max_images", 0, hint=" (0: all images)")
        number(self.max_pixels, "data.max_pixels", 1, hint=" (pixels per image file)")
        number(self.toy_samples, "data.toy_samples", 1, 10**8)
        number(self.toy_std, "data.toy_std", 0, 10)
        if not self.source.strip():
            raise GanforgeError(
                "data.source is empty: use fashion-mnist, mnist, cifar10 or folder:PATH"
            )
        try:
            ImageColor.getrgb(self.background)
        except ValueError:
            raise GanforgeError(
                f"data.background={self.background!r} is not a colour: use a name (white, black) "
                "or #rrggbb"
            ) from None

    @property
    def is_toy(self) -> bool:
        return self.source.startswith("toy-")

    @property
    def size(self) -> tuple[int, int]:
        """(height, width) of the images."""
        r = self.resolution
        return (r[0], r[1]) if isinstance(r, list) else (r, r)

    @property
    def is_square(self) -> bool:
        return self.size[0] == self.size[1]


@dataclass
class ModelConfig:
    task: str = "gan"
    """gan (noise -> image, model.arch) | pix2pix | cyclegan | srgan (image -> image: the i2i
    section picks their networks and losses; model.g_width/d_width still set the widths) | a
    plug-in task's name (`ganforge tasks` lists them)."""
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
    discriminator: str = "own"
    """own (the family's own discriminator) | projected (Sauer et al. 2021: judged through a frozen
    ImageNet EfficientNet-Lite0, set up by the projected section; tasks gan, r3gan, fastgan)."""
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
        # model.task names a registered task: checked by the task registry (ganforge/tasks).
        if not self.task.strip():
            raise GanforgeError("model.task is empty: use gan, pix2pix, cyclegan or srgan")
        choice(self.arch, ("mlp", "dcgan", "resnet", "toy"), "model.arch")
        # Which discriminators a task offers is the task registry's to check (tasks/registry.py).
        if not self.discriminator.strip():
            raise GanforgeError("model.discriminator is empty: use own or projected")
        choice(self.d_norm, ("batch", "layer", "none"), "model.d_norm")
        choice(self.conditional, ("none", "concat", "projection"), "model.conditional")
        # A zero width only fails deep inside the first convolution, mid-run: refuse it here.
        for k in ("z_dim", "g_width", "d_width", "embed_dim"):
            number(getattr(self, k), f"model.{k}", 1, MAX_WIDTH)
        for k in ("g_hidden", "d_hidden"):
            sizes = getattr(self, k)
            if any(n < 1 for n in sizes):
                raise GanforgeError(f"model.{k}={sizes} sizes must each be at least 1")
            if len(sizes) > 64 or any(n > MAX_WIDTH for n in sizes):
                raise GanforgeError(
                    f"model.{k}={sizes} must list at most 64 sizes, each at most {MAX_WIDTH:,}"
                )
        number(self.d_dropout, "model.d_dropout", 0, 1, hi_open=True)


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
        choice(self.name, ("adam", "rmsprop"), f"{section}.name")
        if len(self.betas) != 2 or not all(0 <= b < 1 for b in self.betas):
            raise GanforgeError(
                f"{section}.betas={self.betas} must be two numbers in [0, 1), e.g. [0.5, 0.999]"
            )
        number(self.lr, f"{section}.lr", 0, 10, lo_open=True, hint=", e.g. 2e-4")
        number(self.weight_decay, f"{section}.weight_decay", 0, 10)


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
        # Which names a task accepts is the task's to say (Task.check_config).
        if not self.name.strip():
            raise GanforgeError("loss.name is empty: use auto or a loss name")
        for k in ("gp_weight", "r1_gamma", "clip"):
            number(getattr(self, k), f"loss.{k}", 0, 1e6, hint=" (0 disables it)")
        number(self.label_smoothing, "loss.label_smoothing", 0, 1, hi_open=True)
        if self.label_smoothing and self.name == "wasserstein":
            # The critic's loss D(G(z)) - D(x) has no target label to smooth.
            raise GanforgeError(
                "loss.label_smoothing has no meaning for loss.name=wasserstein (no target labels): "
                "set it to 0"
            )
        number(self.r1_every, "loss.r1_every", 1, 10**6)


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
    init: str = ""
    """Start from a trained model's weights (fine-tuning; fresh optimizers, images from 0): a run
    folder, pretrained:NAME or hf:USER/NAME[@REV]; the architecture must match. Empty: random."""
    minutes: float | None = None
    """Training-time budget in minutes, kept across resumes (the training clock: setup, the
    final grid and report excluded): at the limit the run ends cleanly, with its last checkpoint,
    samples and report, whatever train.images says. null: no budget."""
    loggers: list[str] = field(default_factory=lambda: ["tensorboard"])
    """Logger sinks that receive the scalars, evaluation scores, sample grids and config besides
    metrics.csv (always written): tensorboard (when installed) | wandb (the wandb extra; set up by
    WANDB_PROJECT, WANDB_ENTITY, WANDB_MODE=offline, WANDB_DIR) | mlflow (the mlflow extra;
    MLFLOW_TRACKING_URI, MLFLOW_EXPERIMENT_NAME) | a plug-in's sink; [] for none. A resumed run
    continues the same W&B / MLflow run (RUN/trackers.json)."""
    loggers_required: bool = True
    """A sink of train.loggers that is not installed or fails to start refuses the run before
    training; false: a note, and the run trains without it."""

    def __post_init__(self) -> None:
        choice(self.lr_schedule, ("constant", "linear", "step"), "train.lr_schedule")
        # Metric names, features and best_metric are the evaluation layer's to check
        # (evaluation/training.py: eval_plan, called by the tasks that evaluate).
        number(self.images, "train.images", 1, MAX_IMAGES)
        number(self.batch_size, "train.batch_size", 1, 1 << 20)
        number(self.n_critic, "train.n_critic", 1, 1000)
        for k in ("log_every", "sample_every", "checkpoint_every"):
            number(getattr(self, k), f"train.{k}", 1, MAX_IMAGES, hint=" (images)")
        number(self.keep_checkpoints, "train.keep_checkpoints", 1, 10**6)
        if len(self.init) > 1000 or "\0" in self.init:
            raise GanforgeError("train.init must name a run, pretrained:NAME or hf:USER/NAME")
        number(self.grid_size, "train.grid_size", 1, 1024, hint=" (samples per grid)")
        number(self.eval_every, "train.eval_every", 0, MAX_IMAGES, hint=" (0: off)")
        number(self.eval_n, "train.eval_n", 1, 10**6)
        number(self.ema_halflife, "train.ema_halflife", 0, MAX_IMAGES, hint=" (0: off)")
        number(self.ema_rampup, "train.ema_rampup", 0, 1e6, hint=" (0: off)")
        number(self.seed, "train.seed", 0, SEED_LIMIT, hi_open=True)
        if self.minutes is not None:
            number(self.minutes, "train.minutes", 0, 1e8, lo_open=True, hint=" (or null: none)")
        for name in self.loggers:
            if not name.strip():
                raise GanforgeError("train.loggers holds an empty name: list sink names")
        if len(set(self.loggers)) != len(self.loggers):
            raise GanforgeError(f"train.loggers={self.loggers} names a sink twice")


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
    """On a GPU, capture a whole training iteration as a CUDA graph and replay it (tasks that
    declare they can be captured, one process, fp32/bf16; eager with a note where it cannot).
    Removes the per-kernel launch cost that bounds small models on large GPUs."""
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
    """Earlier spelling, kept so configs of earlier runs load: false takes tensorboard out of
    train.loggers (which now chooses the logger sinks)."""

    def __post_init__(self) -> None:
        choice(self.precision, ("auto", "fp32", "bf16", "fp16"), "runtime.precision")
        number(self.threads, "runtime.threads", 0, 4096, hint=" (0: PyTorch's default)")
        if not self.device.strip():
            raise GanforgeError("runtime.device is empty: use auto, cpu, cuda or cuda:N")
