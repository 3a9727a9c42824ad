"""Autoencoders as a model family: the textbook one and the DCGAN paper's denoising one.

The texts teach the autoencoder just before the GAN; the DCGAN paper (Radford, Metz & Chintala
2016, section 4.1.1) used one to fight memorisation, de-duplicating LSUN with "a 3072-128-3072
de-noising dropout regularized RELU autoencoder on 32x32 downsampled center-crops" whose code,
binarised at the ReLU, is a semantic hash (``ganforge dedup``, explore/dedup.py). The networks are
``models/autoencoder.py``'s; the settings the ``autoencoder`` config section (config/autoencoder.py).

One phase per iteration, ``AE``: a batch x of real images (model range), the input corrupted by
Gaussian noise of std ``autoencoder.noise`` (drawn from the run's noise generator for the global
batch, as ``Autoencoder.corrupt`` does), encoded to the ReLU code h, dropout on h
(``autoencoder.dropout``, the global torch RNG, checkpointed like the noise generator), decoded,
and the loss is the mean squared error to the *clean* x (Vincent et al. 2008). Logged: ``mse``
(the loss), and at log steps ``psnr`` of the batch's reconstructions (dB, model range) and
``code_on``, the fraction of code units above 0 (the bits ``dedup`` hashes: near 0 or 1 means a
weak hash).

Sample grids show per example: input | noisy input | reconstruction of the noisy input (in eval
mode, on fixed images and fixed noise); without input noise the middle column is left out. With
``autoencoder.center`` the images are centred by mass once, before training
(metrics/near_duplicates.center_by_mass), and every use of the trained model centres them too.

A trained run opens as an ``Encoder`` (inference/encoder.py) whose one use is ``encode``; ``ganforge
eval`` scores reconstructions of held-out images (evaluation/reconstruction.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from ganforge.config import AutoencoderConfig, Config
from ganforge.data import load_data
from ganforge.data.dataset import ImageData
from ganforge.data.loader import IndexSampler, to_model_range
from ganforge.errors import GanforgeError
from ganforge.evaluation.options import EvalOptions
from ganforge.evaluation.reconstruction import evaluate_autoencoder
from ganforge.inference.encoder import Encoder
from ganforge.losses.reconstruction import mse
from ganforge.metrics.near_duplicates import center_by_mass
from ganforge.metrics.psnr_ssim import psnr
from ganforge.models.autoencoder import Autoencoder, ConvAutoencoder, MLPAutoencoder
from ganforge.tasks.base import Phase, PhaseLoss, Task, refuse_options
from ganforge.tasks.optim import make_optimizer
from ganforge.tasks.weights import load_weights, pick_weights

NET = "autoencoder"
"""The one network's name in checkpoints (encoder and decoder are its two halves)."""
EXAMPLES_PER_GRID = 16
"""Examples in each sample grid (at most ``train.grid_size``)."""
EXAMPLES_PER_ROW = 4


def build_autoencoder(s: AutoencoderConfig, shape: tuple[int, ...]) -> Autoencoder:
    """The autoencoder of section ``s`` for images of ``shape`` (C, H, W)."""
    if s.arch == "conv":
        return ConvAutoencoder(shape, s.code, s.width, s.noise, s.dropout)
    return MLPAutoencoder(shape, [*s.hidden, s.code], s.noise, s.dropout)


class AutoencoderTask(Task):
    """An autoencoder trained to reconstruct its (optionally noisy) input: network ``autoencoder``,
    optimizer ``AE`` (``g_optim``'s settings), batches of images in the model range."""

    sections = {"autoencoder": AutoencoderConfig}
    ema_targets = (NET,)
    log_columns = ("mse",)
    extra_columns = ("psnr", "code_on", "ae_grad_norm")
    progress_columns = ("mse",)
    plot_panels = (
        ("reconstruction error (MSE, [-1, 1] units)", ("mse",)),
        ("PSNR of the batch (dB)", ("psnr",)),
        ("code units on (> 0)", ("code_on",)),
    )
    channels_follow_data: ClassVar[bool] = True

    def __init__(self, cfg: Config, data: ImageData, device: torch.device, precision: str) -> None:
        super().__init__(cfg, data, device, precision)
        s = cfg.autoencoder
        self.noise_std = s.noise
        self.shape = tuple(int(d) for d in data.images.shape[1:])  # (C, H, W)
        if self.shape != (cfg.data.channels, *cfg.data.size):
            raise GanforgeError(
                f"autoencoder data of shape {self.shape} (C, H, W) does not fit data.channels="
                f"{cfg.data.channels} and data.resolution={cfg.data.resolution}"
            )
        self.ae = build_autoencoder(s, self.shape).to(device)
        self.opt = make_optimizer(self.ae.parameters(), cfg.g_optim)
        images = data.images
        # Centred once, here; the memory estimate builds the task on ``meta`` and needs only the
        # networks, so it skips the pixels.
        if s.center and device.type != "meta":
            images = center_by_mass(images)
        self.images = images.to(device)
        self.sampler = IndexSampler(len(data), cfg.train.batch_size, cfg.train.seed, device)
        if cfg.runtime.compile:
            self.notes.append("runtime.compile: the autoencoder runs eagerly")

    # ------------------------------------------------------------------ config and data
    @classmethod
    def check_config(cls, cfg: Config) -> None:
        if cfg.data.is_toy:
            raise GanforgeError(
                f"model.task=autoencoder encodes images: data.source={cfg.data.source} gives "
                "2-D points"
            )
        if cfg.train.eval_every > 0:
            raise GanforgeError(
                "train.eval_every scores generators; an autoencoder logs its reconstruction error "
                "(mse, psnr) in metrics.csv, and `ganforge eval RUN` scores held-out images: set "
                "train.eval_every=0"
            )

    @classmethod
    def load_data(cls, cfg: Config) -> ImageData:
        return load_data(cfg.data, cfg.train.seed, kinds=("images",), task=cfg.model.task)

    # ------------------------------------------------------------------ what the Trainer steps
    @property
    def nets(self) -> dict[str, nn.Module]:
        return {NET: self.ae}

    @property
    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"AE": self.opt}

    def phases(self) -> list[Phase]:
        return [Phase("AE", "AE", self.reconstruction)]

    def draw(self) -> Tensor:
        """This rank's slice of the next global batch's indices."""
        return self.shard.take(self.sampler.next())

    def make_batch(self, draw: Tensor, gen: torch.Generator) -> tuple[Tensor, Tensor | None]:
        """(x in the model range, the input noise or None); the noise is drawn for the global
        batch and sliced, so a run does not depend on the world size."""
        x = to_model_range(self.images[draw])
        if self.noise_std == 0:
            return x, None
        shape = (self.cfg.train.batch_size, *self.shape)
        noise = torch.randn(shape, generator=gen, device=self.device)
        return x, self.shard.take(noise)

    def reconstruction(self, batch, gen: torch.Generator, measure: bool, carry) -> PhaseLoss:
        x, noise = batch  # (B, C, H, W) in [-1, 1]; noise N(0, 1) of the same shape, or None
        noisy = x if noise is None else x + self.noise_std * noise  # ae.corrupt, global draw
        with self.autocast():
            code = self.ae.encode(noisy)  # (B, code), ReLU
            recon = self.ae.decode(self.ae.code_dropout(code))  # (B, C, H, W), Tanh
        loss = mse(recon.float(), x)  # to the clean image: the denoising criterion
        scalars = {"mse": loss.detach()}
        if measure:  # log steps only
            scalars["psnr"] = psnr(recon.detach().float(), x, data_range=2.0).mean()
            scalars["code_on"] = (code.detach() > 0).float().mean()
        return PhaseLoss(loss, scalars)

    def extra_state(self) -> dict[str, Any]:
        return {"sampler": self.sampler.state_dict()}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        self.sampler.load_state_dict(state["sampler"])

    # ------------------------------------------------------------------ samples during training
    @property
    def columns_per_example(self) -> int:
        return 3 if self.noise_std > 0 else 2

    def fixed_inputs(self, n: int, seed: int) -> dict[str, Tensor]:
        k = max(1, min(n, EXAMPLES_PER_GRID, len(self.images)))
        g = torch.Generator().manual_seed(seed + 2)  # the same noise in every grid of the run
        noise = torch.randn((k, *self.shape), generator=g)
        return {"x": to_model_range(self.images[:k]), "noise": noise.to(self.device)}

    @torch.no_grad()
    def generate(self, nets: dict[str, nn.Module], inputs: dict[str, Tensor]) -> Tensor:
        ae = nets[NET]
        x = inputs["x"]
        noisy = x + self.noise_std * inputs["noise"]
        recon = ae.decode(ae.encode(noisy)).float()
        columns = [x, noisy.clamp(-1, 1), recon] if self.noise_std > 0 else [x, recon]
        return torch.stack(columns, dim=1).flatten(0, 1)  # example 0's tiles, example 1's, ...

    @property
    def grid_nrow(self) -> int:
        return EXAMPLES_PER_ROW * self.columns_per_example

    # ------------------------------------------------------------------ inference and evaluation
    @classmethod
    def open(
        cls,
        cfg: Config,
        state: dict[str, Any],
        ema: bool = True,
        device: str | torch.device = "cpu",
        **options: Any,
    ) -> tuple[Encoder, bool]:
        refuse_options(options, "does not apply to an autoencoder run: leave it out")
        weights, used_ema = pick_weights(state, NET, ema)
        shape = (cfg.data.channels, *cfg.data.size)
        ae = build_autoencoder(cfg.autoencoder, shape)
        load_weights(ae, weights, "autoencoder")
        ae = ae.to(device).eval().requires_grad_(False)
        return Encoder(ae, center=cfg.autoencoder.center, network=NET), used_ema

    def inference(self, nets: dict[str, nn.Module]) -> Encoder:
        return Encoder(nets[NET], center=self.cfg.autoencoder.center, network=NET)

    @classmethod
    def evaluate(cls, run: Any, options: EvalOptions, say=print) -> dict[str, Any]:
        model = run.require("encode", command="`ganforge eval`")
        return evaluate_autoencoder(model, run.cfg, cls.load_data, Path(run.run_dir), options)
