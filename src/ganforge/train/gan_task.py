"""The unconditional / class-conditional GAN as a task: its networks, optimizers and the two phases.

The Trainer is generic over tasks: it asks a task for its networks and optimizers (to checkpoint
them), calls ``d_step`` n_critic times and then ``g_step``, and asks it for samples. An
image-to-image task (two generators, reconstruction losses, an image pool) supplies the same methods.

D phase (Goodfellow et al. 2014, Algorithm 1): ascend log D(x) + log(1 - D(G(z))) or the chosen
loss, plus the gradient penalty / R1, then weight clipping. G phase: descend the generator loss with
D's parameters frozen, so no D weight gradients are computed.
"""

from __future__ import annotations

import contextlib
from typing import Any

import torch
from torch import Tensor, nn

from ganforge.config import Config, OptimConfig
from ganforge.losses.adversarial import LOSSES, discriminator_prob
from ganforge.losses.penalties import clip_weights_, gradient_penalty, r1_penalty
from ganforge.models import build_discriminator, build_generator


def make_optimizer(params: Any, cfg: OptimConfig) -> torch.optim.Optimizer:
    if cfg.name == "adam":
        return torch.optim.Adam(
            params, lr=cfg.lr, betas=tuple(cfg.betas), weight_decay=cfg.weight_decay, foreach=True
        )
    return torch.optim.RMSprop(params, lr=cfg.lr, weight_decay=cfg.weight_decay, foreach=True)


class GANTask:
    """Networks ``G`` and ``D``; batches are ``(x, y)`` with x in the model range, y labels or None."""

    ema_targets = ("G",)

    def __init__(
        self, cfg: Config, num_classes: int, device: torch.device, precision: str = "fp32"
    ) -> None:
        self.cfg = cfg
        self.device = device
        self.num_classes = num_classes if cfg.model.conditional != "none" else 0
        self.G = build_generator(cfg, num_classes).to(device)
        self.D = build_discriminator(cfg, num_classes).to(device)
        self.channels_last = cfg.runtime.channels_last and not cfg.data.is_toy
        if self.channels_last:
            self.G.to(memory_format=torch.channels_last)
            self.D.to(memory_format=torch.channels_last)
        self.opt_g = make_optimizer(self.G.parameters(), cfg.g_optim)
        self.opt_d = make_optimizer(self.D.parameters(), cfg.d_optim)
        self.d_loss_fn, self.g_loss_fn = LOSSES[cfg.loss.name]
        self.real_target = 1.0 - cfg.loss.label_smoothing
        # With one D step per G step the fake batch of the D phase can be reused by the G phase
        # (as the DCGAN tutorial does): it saves one generator forward pass per step.
        self.reuse_fake = cfg.train.n_critic == 1
        self._fake: tuple[Tensor, Tensor | None] | None = None
        self.d_steps = 0
        self.amp_dtype = torch.bfloat16 if precision == "bf16" else None

    # ------------------------------------------------------------------ what the Trainer checkpoints
    @property
    def nets(self) -> dict[str, nn.Module]:
        return {"G": self.G, "D": self.D}

    @property
    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"G": self.opt_g, "D": self.opt_d}

    def extra_state(self) -> dict[str, Any]:
        return {"d_steps": self.d_steps}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        self.d_steps = int(state["d_steps"])

    # ------------------------------------------------------------------ helpers
    def autocast(self) -> contextlib.AbstractContextManager:
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def noise(self, n: int, gen: torch.Generator) -> Tensor:
        return torch.randn(n, self.G.z_dim, generator=gen, device=self.device)

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
        z = self.noise(real.shape[0], gen)
        use_r1 = lc.r1_gamma > 0 and self.d_steps % lc.r1_every == 0
        if use_r1:
            real = real.detach().requires_grad_(True)
        with self.autocast():
            if self.reuse_fake:
                fake = self.G(z, y)
                self._fake = (fake, y)
            else:
                with torch.no_grad():
                    fake = self.G(z, y)
            if self.channels_last:
                fake = fake.contiguous(memory_format=torch.channels_last)
            real_logits = self.D(real, y).float()
            fake_logits = self.D(fake.detach(), y).float()
        adv = self.d_loss_fn(real_logits, fake_logits, self.real_target)
        loss = adv
        out = {"d_loss": adv.detach()}
        if lc.gp_weight > 0:
            # The penalty runs in full precision: its second-order terms are sensitive to rounding.
            gp = gradient_penalty(lambda x: self.D(x, y), real, fake.float(), gen)
            loss = loss + lc.gp_weight * gp
            out["gp"] = gp.detach()
        if use_r1:
            r1 = r1_penalty(real_logits, real)
            loss = loss + 0.5 * lc.r1_gamma * lc.r1_every * r1
            out["r1"] = r1.detach()
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        if measure:
            out["d_grad_norm"] = _grad_norm(self.D)
        self.opt_d.step()
        if lc.clip > 0:
            clip_weights_(self.D, lc.clip)
        self.d_steps += 1
        # D(x) and D(G(z)) as probabilities for the BCE games, raw critic scores otherwise.
        out["d_real"] = discriminator_prob(real_logits.detach(), lc.name).mean()
        out["d_fake"] = discriminator_prob(fake_logits.detach(), lc.name).mean()
        return out

    def g_step(
        self, batch: tuple[Tensor, Tensor | None], gen: torch.Generator, measure: bool
    ) -> dict[str, Tensor]:
        """One generator update with D frozen."""
        real, y = batch
        y = self._labels(y)
        self.D.requires_grad_(False)
        try:
            with self.autocast():
                if self._fake is not None:
                    fake, y = self._fake
                else:
                    fake = self.G(self.noise(real.shape[0], gen), y)
                self._fake = None
                if self.channels_last:
                    fake = fake.contiguous(memory_format=torch.channels_last)
                logits = self.D(fake, y).float()
            loss = self.g_loss_fn(logits)
            self.opt_g.zero_grad(set_to_none=True)
            loss.backward()
        finally:
            self.D.requires_grad_(True)
        out = {"g_loss": loss.detach()}
        if measure:
            out["g_grad_norm"] = _grad_norm(self.G)
        self.opt_g.step()
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


def _grad_norm(module: nn.Module) -> Tensor:
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    if not grads:
        return torch.zeros(())
    return torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
