"""What the image-to-image tasks (pix2pix, CycleGAN, SRGAN) share on the Trainer's side.

The Trainer treats every task alike (see ``gan_task.py``): ``nets``, ``optimizers`` (always named
G and D, as ``opt_g`` / ``opt_d``, so the lr schedule and the log see one generator and one
discriminator optimizer even when each updates two networks), ``extra_state``, ``d_step`` and
``g_step`` on one batch, ``fixed_inputs`` and ``generate`` for the sample grids. The image-to-image
tasks also cut their own batches (``make_batch``): paired crops, two unpaired samplers, or HR crops
with their LR twins, from uint8 tensors on the training device. Their sample grids show, per
example, input | output | target (| reconstruction), ``grid_nrow`` tiles to a row.

Phases per iteration, as in the Trainer: the D step runs G on the batch and keeps its output with
the graph, D is updated on it (detached), then the G step scores the same output against the
updated D with D's parameters frozen. The reference implementations update G first; with one D
step per G step the two orders train the same game (DCGAN's tutorial uses ours).

Randomness: crops and flips use the Trainer's noise generator, dropout the global torch RNG, the
image pool its own generator; all three are checkpointed, so resume is exact.
"""

from __future__ import annotations

import contextlib

import torch
from torch import Tensor, nn

from ganforge.config import Config
from ganforge.config_i2i import adv_weight_of, gan_loss_of
from ganforge.data.dataset import ImageData
from ganforge.data.domains import apply_crops, center_plan, plan_crops
from ganforge.data.loader import to_model_range
from ganforge.errors import GanforgeError
from ganforge.losses.adversarial import LOSSES, discriminator_prob
from ganforge.metrics.psnr_ssim import WINDOW, psnr, ssim

EXAMPLES_PER_GRID = 16
"""Examples in each sample grid (at most ``train.grid_size``)."""


class I2ITask:
    ema_targets = ("G",)
    num_classes = 0
    log_columns: tuple[str, ...] = ()
    columns_per_example = 3  # input | output | target

    def __init__(self, cfg: Config, data: ImageData, device: torch.device, precision: str) -> None:
        self.cfg = cfg
        self.device = device
        self.size = cfg.data.resolution
        self.load = data.images.shape[-1]
        shape, c = tuple(data.images.shape[1:]), cfg.data.channels
        if shape[0] != c or shape[1] != shape[2] or self.load < self.size:
            raise GanforgeError(
                f"{cfg.model.task} data of shape {shape} (C, H, W) does not fit data.channels={c} "
                f"and crops of data.resolution={self.size}"
            )
        self.hflip = cfg.data.hflip
        self.channels_last = cfg.runtime.channels_last
        # The paper defaults a config leaves open (loss "auto", adv_weight -1), resolved once.
        self.loss_name = gan_loss_of(cfg)
        self.adv_weight = adv_weight_of(cfg)
        self.d_loss_fn, self.g_loss_fn = LOSSES[self.loss_name]
        self.real_target = 1.0 - cfg.loss.label_smoothing
        self.notes: list[str] = []
        self.amp_dtype = torch.bfloat16 if precision == "bf16" else None
        if precision == "fp16":
            self.notes.append("image-to-image tasks do not use fp16 (no gradient scaler): fp32")
        if cfg.runtime.compile:
            self.notes.append("runtime.compile: image-to-image tasks run eagerly")
        self.d_steps = 0

    # ------------------------------------------------------------------ helpers
    def autocast(self) -> contextlib.AbstractContextManager:
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def _place(self, *modules: nn.Module) -> None:
        for m in modules:
            m.to(self.device)
            if self.channels_last:
                m.to(memory_format=torch.channels_last)

    def _to_model(self, x: Tensor) -> Tensor:
        x = to_model_range(x)
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x

    def _crops(self, images: Tensor, idx: Tensor, gen: torch.Generator, plan=None) -> Tensor:
        """Random ``size`` crops (and flips) of ``images[idx]``; ``plan`` shares them across a pair."""
        plan = plan or plan_crops(len(idx), self.load, self.size, self.hflip, gen, self.device)
        return self._to_model(apply_crops(images[idx], plan, self.size))

    def _center(self, images: Tensor, n: int) -> Tensor:
        plan = center_plan(n, self.load, self.size, self.device)
        return self._to_model(apply_crops(images[:n], plan, self.size)).float()

    def _fidelity(self, fake: Tensor, target: Tensor) -> dict[str, Tensor]:
        """PSNR / SSIM of a training batch in the model range (data range 2), for the log."""
        fake, target = fake.detach().float().clamp(-1, 1), target.float()
        out = {"psnr": psnr(fake, target, data_range=2.0).mean()}
        if min(fake.shape[-2:]) >= WINDOW:
            out["ssim"] = ssim(fake, target, data_range=2.0).mean()
        return out

    @staticmethod
    def _probs(real: Tensor, fake: Tensor, loss: str) -> dict[str, Tensor]:
        return {
            "d_real": discriminator_prob(real.detach(), loss).mean(),
            "d_fake": discriminator_prob(fake.detach(), loss).mean(),
        }

    @property
    def grid_nrow(self) -> int:
        per_row = 2 if self.columns_per_example <= 3 else 1
        return per_row * self.columns_per_example

    def _examples(self, n: int, available: int) -> int:
        return max(1, min(n, EXAMPLES_PER_GRID, available))


def grad_norm(module: nn.Module) -> Tensor:
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    if not grads:
        return torch.zeros(())
    return torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))


def interleave(*columns: Tensor) -> Tensor:
    """Columns (N, C, H, W) each -> (N * k, C, H, W) as example 0's k tiles, example 1's, ..."""
    return torch.stack(columns, dim=1).flatten(0, 1)
