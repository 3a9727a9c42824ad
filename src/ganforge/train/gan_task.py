"""The unconditional / class-conditional GAN as a task: its networks, optimizers and the two phases.

The Trainer is generic over tasks: it asks a task for its networks and optimizers (to checkpoint
them), calls ``d_step`` n_critic times and then ``g_step``, and asks it for samples. An
image-to-image task (two generators, reconstruction losses, an image pool) supplies the same methods.

D phase (Goodfellow et al. 2014, Algorithm 1): ascend log D(x) + log(1 - D(G(z))) or the chosen
loss, plus the gradient penalty / R1, then weight clipping. G phase: descend the generator loss with
D's parameters frozen, so no D weight gradients are computed.

The runtime contract every task follows (train/distributed.py, train/compiled.py):

- ``wrap_for_distributed(wrap, shard)`` is called once under torchrun, before training. The task
  routes every training-time call whose parameter gradients must be averaged through
  ``wrap(module)`` (DistributedDataParallel), and keeps the raw modules in ``nets`` for
  checkpoints, EMA and sampling. Calls that must not trigger a reduction use the raw module: here
  the frozen D of the G phase. Each backward must pass through at least one wrapped call of every
  module that receives gradients in it. Random draws (noise, penalty weights, augmentation) are made
  for the global batch and cut with ``shard.take``, so the run does not depend on the world size.
  A task without the method still trains: the Trainer then averages gradients in an optimizer-step
  hook and says so.
- With ``runtime.compile`` the task calls compiled twins for first-order calls and the eager
  modules where a gradient is differentiated again (gradient penalty, R1): AOTAutograd has no
  double backward.
- ``notes`` collects one-line messages about fallbacks; the Trainer shows them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from ganforge.config import Config, OptimConfig
from ganforge.config_i2i import gan_loss_of
from ganforge.losses.adversarial import LOSSES, discriminator_prob
from ganforge.losses.penalties import (
    clip_weights_,
    gradient_penalty,
    interpolation_weights,
    r1_penalty,
)
from ganforge.models import build_discriminator, build_generator
from ganforge.models.spectral_norm import power_iteration_, spectral_layers
from ganforge.train.compiled import compile_modules
from ganforge.train.distributed import Shard


def make_optimizer(
    params: Any, cfg: OptimConfig, capturable: bool = False
) -> torch.optim.Optimizer:
    """Adam or RMSprop. Adam on CUDA uses the fused kernel: one launch for all parameters, and a
    GradScaler (fp16) then skips its per-step host sync, since the kernel reads the scale and the
    inf flag on the device. Elsewhere the multi-tensor (foreach) implementation. ``capturable``
    keeps the step counts on the device, as a CUDA graph of the step needs (train/cuda_graph.py)."""
    params = list(params)
    if cfg.name == "adam":
        on_cuda = all(p.is_cuda for p in params)
        kind = {"fused": True} if on_cuda else {"foreach": True}
        return torch.optim.Adam(
            params,
            lr=cfg.lr,
            betas=tuple(cfg.betas),
            weight_decay=cfg.weight_decay,
            capturable=capturable,
            **kind,
        )
    return torch.optim.RMSprop(
        params, lr=cfg.lr, weight_decay=cfg.weight_decay, foreach=True, capturable=capturable
    )


class GANTask:
    """Networks ``G`` and ``D``; batches are ``(x, y)`` with x in the model range, y labels or None."""

    ema_targets = ("G",)

    def __init__(
        self,
        cfg: Config,
        num_classes: int,
        device: torch.device,
        precision: str = "fp32",
        capturable: bool = False,
    ) -> None:
        self.cfg = cfg
        self.device = device
        self.num_classes = num_classes if cfg.model.conditional != "none" else 0
        self.G = build_generator(cfg, num_classes).to(device)
        self.D = build_discriminator(cfg, num_classes).to(device)
        # With torch.compile the layouts are inductor's to choose (its layout optimisation);
        # channels_last weights also trip its convolution-backward stride checks on CUDA.
        self.channels_last = (
            cfg.runtime.channels_last and not cfg.data.is_toy and not cfg.runtime.compile
        )
        if self.channels_last:
            self.G.to(memory_format=torch.channels_last)
            self.D.to(memory_format=torch.channels_last)
        fp16 = precision == "fp16"
        self.opt_g = make_optimizer(self.G.parameters(), cfg.g_optim, capturable)
        self.opt_d = make_optimizer(self.D.parameters(), cfg.d_optim, capturable)
        # Spectral norm's power iteration runs once per update of each network (models/spectral_norm.py).
        self._sn_g, self._sn_d = spectral_layers(self.G), spectral_layers(self.D)
        self.loss_name = gan_loss_of(cfg)
        self.d_loss_fn, self.g_loss_fn = LOSSES[self.loss_name]
        self.real_target = 1.0 - cfg.loss.label_smoothing
        # With one D step per G step the fake batch of the D phase can be reused by the G phase
        # (as the DCGAN tutorial does): it saves one generator forward pass per step.
        self.reuse_fake = cfg.train.n_critic == 1
        self._fake: tuple[Tensor, Tensor | None] | None = None
        self.d_steps = 0
        self.amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
        # Autocast's cache of low-precision weights must be off inside a CUDA graph capture.
        self.autocast_cache = not capturable
        # float16 gradients underflow without loss scaling; disabled scalers are pass-throughs.
        self.scaler_d = torch.amp.GradScaler(device.type, enabled=fp16)
        self.scaler_g = torch.amp.GradScaler(device.type, enabled=fp16)
        self.notes: list[str] = []
        self.shard = Shard()
        # Training-time callables: compiled twins (G_fast, D_fast) and, under torchrun, DDP
        # wrappers of them (G_train, D_train). G and D stay the raw modules.
        fast = {"G": self.G, "D": self.D}
        if cfg.runtime.compile:
            fast = compile_modules(fast, device, self.notes.append)
        self.G_fast, self.D_fast = fast["G"], fast["D"]
        self.G_train, self.D_train = self.G_fast, self.D_fast

    # ------------------------------------------------------------------ what the Trainer checkpoints
    @property
    def nets(self) -> dict[str, nn.Module]:
        return {"G": self.G, "D": self.D}

    @property
    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"G": self.opt_g, "D": self.opt_d}

    def extra_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"d_steps": self.d_steps}
        if self.scaler_d.is_enabled():
            state["scaler"] = {"D": self.scaler_d.state_dict(), "G": self.scaler_g.state_dict()}
        return state

    def load_extra_state(self, state: dict[str, Any]) -> None:
        self.d_steps = int(state["d_steps"])
        if self.scaler_d.is_enabled() and "scaler" in state:
            self.scaler_d.load_state_dict(state["scaler"]["D"])
            self.scaler_g.load_state_dict(state["scaler"]["G"])

    def wrap_for_distributed(self, wrap: Callable[[nn.Module], nn.Module], shard: Shard) -> None:
        """Under torchrun: G and D training calls through ``wrap`` (DDP); draws cut by ``shard``."""
        self.G_train, self.D_train = wrap(self.G_fast), wrap(self.D_fast)
        self.shard = shard

    # ------------------------------------------------------------------ helpers
    def autocast(self) -> contextlib.AbstractContextManager:
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(
            self.device.type, dtype=self.amp_dtype, cache_enabled=self.autocast_cache
        )

    def noise(self, n: int, gen: torch.Generator) -> Tensor:
        """z for ``n`` local samples: this rank's slice of the global batch's draw."""
        z = torch.randn(n * self.shard.world_size, self.G.z_dim, generator=gen, device=self.device)
        return self.shard.take(z)

    def _labels(self, y: Tensor | None) -> Tensor | None:
        # Fakes are drawn with the real batch's labels: same class marginal, no extra sampling.
        return y if self.num_classes else None

    # ------------------------------------------------------------------ phases
    def d_step(
        self, batch: tuple[Tensor, Tensor | None], gen: torch.Generator, measure: bool
    ) -> dict[str, Tensor]:
        """One discriminator update. Returns detached scalars (no host sync)."""
        real, y = batch
        y = self._labels(y)
        lc = self.cfg.loss
        power_iteration_(self._sn_d)
        if self.reuse_fake:  # this step's G forward is the one the G update differentiates
            power_iteration_(self._sn_g)
        z = self.noise(real.shape[0], gen)
        use_r1 = lc.r1_gamma > 0 and self.d_steps % lc.r1_every == 0
        if use_r1:
            real = real.detach().requires_grad_(True)
        with self.autocast():
            if self.reuse_fake:
                fake = self.G_train(z, y)
                self._fake = (fake, y)
            else:
                with torch.no_grad():
                    fake = self.G_fast(z, y)
            if self.channels_last:
                fake = fake.contiguous(memory_format=torch.channels_last)
            # R1 differentiates grad_x D(x) again: the eager D (no double backward when compiled).
            real_logits = (self.D if use_r1 else self.D_train)(real, y).float()
            fake_logits = self.D_train(fake.detach(), y).float()
        adv = self.d_loss_fn(real_logits, fake_logits, self.real_target)
        loss = adv
        out = {"d_loss": adv.detach()}
        if lc.gp_weight > 0:
            # The penalty runs in full precision: its second-order terms are sensitive to rounding.
            # Its gradients reach DDP through the same parameters, reduced with the rest.
            B = real.shape[0] * self.shard.world_size  # the global batch
            alpha = self.shard.take(interpolation_weights(B, real, gen))
            gp = gradient_penalty(lambda x: self.D(x, y), real, fake.float(), alpha=alpha)
            loss = loss + lc.gp_weight * gp
            out["gp"] = gp.detach()
        if use_r1:
            r1 = r1_penalty(real_logits, real)
            loss = loss + 0.5 * lc.r1_gamma * lc.r1_every * r1
            out["r1"] = r1.detach()
        self.opt_d.zero_grad(set_to_none=True)
        self.scaler_d.scale(loss).backward()
        if measure:
            out["d_grad_norm"] = _measured_norm(self.D, self.scaler_d, self.opt_d)
        self.scaler_d.step(self.opt_d)
        self.scaler_d.update()
        if lc.clip > 0:
            clip_weights_(self.D, lc.clip)
        self.d_steps += 1
        # D(x) and D(G(z)) as probabilities for the BCE games, raw critic scores otherwise.
        out["d_real"] = discriminator_prob(real_logits.detach(), self.loss_name).mean()
        out["d_fake"] = discriminator_prob(fake_logits.detach(), self.loss_name).mean()
        return out

    def g_step(
        self, batch: tuple[Tensor, Tensor | None], gen: torch.Generator, measure: bool
    ) -> dict[str, Tensor]:
        """One generator update with D frozen."""
        real, y = batch
        y = self._labels(y)
        if not self.reuse_fake:
            power_iteration_(self._sn_g)
        self.D.requires_grad_(False)
        try:
            with self.autocast():
                if self._fake is not None:
                    fake, y = self._fake
                else:
                    fake = self.G_train(self.noise(real.shape[0], gen), y)
                self._fake = None
                if self.channels_last:
                    fake = fake.contiguous(memory_format=torch.channels_last)
                # The frozen D outside DDP: its wrapper would wait for a D reduction.
                logits = self.D_fast(fake, y).float()
            loss = self.g_loss_fn(logits)
            self.opt_g.zero_grad(set_to_none=True)
            self.scaler_g.scale(loss).backward()
        finally:
            self.D.requires_grad_(True)
        out = {"g_loss": loss.detach()}
        if measure:
            out["g_grad_norm"] = _measured_norm(self.G, self.scaler_g, self.opt_g)
        self.scaler_g.step(self.opt_g)
        self.scaler_g.update()
        return out

    # ------------------------------------------------------------------ sampling
    def fixed_inputs(self, n: int, seed: int) -> dict[str, Tensor]:
        """The noise (and labels) every sample grid of a run uses, so grids are comparable."""
        gen = torch.Generator(device="cpu").manual_seed(seed + 12345)
        z = torch.randn(n, self.G.z_dim, generator=gen).to(self.device)
        inputs = {"z": z}
        if self.num_classes:
            # One row per class when the grid is square enough: labels cycle 0..K-1 along rows.
            cols = max(1, round(n**0.5))
            inputs["y"] = (torch.arange(n) // cols % self.num_classes).to(self.device)
        return inputs

    @torch.no_grad()
    def generate(self, G: nn.Module, inputs: dict[str, Tensor], batch: int = 256) -> Tensor:
        z, y = inputs["z"], inputs.get("y")
        outs = [
            G(z[i : i + batch], None if y is None else y[i : i + batch]).float()
            for i in range(0, z.shape[0], batch)
        ]
        return torch.cat(outs)


def _measured_norm(
    module: nn.Module, scaler: torch.amp.GradScaler, opt: torch.optim.Optimizer
) -> Tensor:
    """The gradient norm before the step, unscaled. With fp16, overflowing gradients are how the
    scaler finds its scale (it skips that step and lowers the scale): such a step logs 0 instead of
    stopping the run as if it diverged (the losses still catch a real divergence)."""
    scaler.unscale_(opt)
    norm = _grad_norm(module)
    if scaler.is_enabled():
        norm = torch.nan_to_num(norm, nan=0.0, posinf=0.0)
    return norm


def _grad_norm(module: nn.Module) -> Tensor:
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    if not grads:
        return torch.zeros(())
    return torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
