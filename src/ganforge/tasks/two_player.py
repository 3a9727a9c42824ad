"""The G/D scaffolding every adversarial family shares: a two-player task.

A GAN-like task (the noise-to-image GAN, R3GAN, pix2pix, CycleGAN, SRGAN) has generators and
discriminators, an optimizer for each side, a discriminator phase repeated ``n_critic`` times on
fresh batches (Goodfellow et al. 2014, Algorithm 1; WGAN's critic steps) and a generator phase on
the last of those batches with every discriminator frozen, a count of discriminator steps (lazy
regularisation and WGAN's clipping follow it, and resume restores it), the data position, an EMA
of the generators, and the GAN log columns and curve panels. ``TwoPlayerTask`` writes that once;
a family fills in its networks and the two losses:

    class MyGAN(TwoPlayerTask):
        def __init__(self, cfg, data, device, precision):
            super().__init__(cfg, data, device, precision)
            self.G, self.D = ..., ...
            self.opt_g, self.opt_d = ..., ...
            self.sampler = IndexSampler(...)          # its state is checkpointed
        generators = property(lambda self: {"G": self.G})
        discriminators = property(lambda self: {"D": self.D})
        def d_loss(self, batch, gen, measure, carry): ...   # PhaseLoss(loss, scalars, carry=fake)
        def g_loss(self, batch, gen, measure, carry): ...   # carry: the D phase's fake batch

The D phase may hand its fake batch, with the generator's graph, to the G phase through
``PhaseLoss.carry`` (with one D step per G step this saves a generator forward, as the DCGAN
tutorial does); the G phase receives it as its ``carry`` argument, or None when the D phase
carried nothing (several critic steps, a skipped update) and it must generate its own.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from ganforge.tasks.base import Batch, Panels, Phase, PhaseLoss, Task

GAN_COLUMNS = (
    "d_loss",
    "g_loss",
    "d_real",
    "d_fake",
    "gp",
    "r1",
    "d_grad_norm",
    "g_grad_norm",
)
"""The log columns of an adversarial task: losses, D's outputs, penalties, gradient norms."""

GAN_PANELS: Panels = (
    ("losses", ("d_loss", "g_loss")),
    ("D outputs", ("d_real", "d_fake")),
    ("regularisers / grad norms", ("gp", "r1", "r2", "d_grad_norm", "g_grad_norm")),
)
"""losses.png of an adversarial task: the two losses, D's outputs, penalties and gradient norms."""


class TwoPlayerTask(Task):
    """Generators against discriminators: the nets, optimizers, phases, D-step counter and data
    position of every GAN-like family. Subclasses set ``opt_g``, ``opt_d`` (and ``sampler`` when
    they draw by index), declare ``generators`` and ``discriminators``, and write ``d_loss`` and
    ``g_loss``."""

    ema_targets: ClassVar[tuple[str, ...]] = ("G",)
    log_columns: ClassVar[tuple[str, ...]] = GAN_COLUMNS
    progress_columns: ClassVar[tuple[str, ...]] = ("d_loss", "g_loss")
    plot_panels: ClassVar[Panels] = GAN_PANELS

    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    sampler: Any = None
    """The data position (an ``IndexSampler`` or a pair of them), checkpointed when set."""

    def __init__(self, cfg: Any, data: Any, device: torch.device, precision: str) -> None:
        super().__init__(cfg, data, device, precision)
        self.d_steps = 0
        """Discriminator updates so far (lazy R1 follows it; resume restores it)."""

    # ------------------------------------------------------------------ what the Trainer steps
    @property
    def generators(self) -> dict[str, nn.Module]:
        """The generator side's networks by name (stepped by the ``G`` optimizer)."""
        raise NotImplementedError

    @property
    def discriminators(self) -> dict[str, nn.Module]:
        """The discriminator side's networks by name: frozen in the G phase."""
        raise NotImplementedError

    @property
    def nets(self) -> dict[str, nn.Module]:
        return {**self.generators, **self.discriminators}

    @property
    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"G": self.opt_g, "D": self.opt_d}

    @property
    def n_critic(self) -> int:
        """Discriminator updates per iteration (``train.n_critic``)."""
        return self.cfg.train.n_critic

    def phases(self) -> list[Phase]:
        return [
            Phase("D", "D", self.d_loss, self.n_critic, after_step=self._after_d),
            Phase("G", "G", self.g_loss, fresh_batch=False, frozen=tuple(self.discriminators)),
        ]

    def d_loss(self, batch: Batch, gen: torch.Generator, measure: bool, carry: Any) -> Any:
        """The discriminator phase's ``PhaseLoss`` (its ``carry``: what the G phase gets)."""
        raise NotImplementedError

    def g_loss(self, batch: Batch, gen: torch.Generator, measure: bool, carry: Any) -> PhaseLoss:
        """The generator phase's ``PhaseLoss``; ``carry`` is the D phase's (or None)."""
        raise NotImplementedError

    def after_d_step(self) -> None:  # noqa: B027 (an optional hook)
        """After each discriminator update, before the count (e.g. WGAN's weight clipping)."""

    def _after_d(self) -> None:
        self.after_d_step()
        self.d_steps += 1

    def replayed(self) -> None:
        self.d_steps += self.n_critic  # what the captured D steps would have counted

    # ------------------------------------------------------------------ checkpointed state
    def extra_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"d_steps": self.d_steps}
        if self.sampler is not None:
            state["sampler"] = self.sampler.state_dict()
        return state

    def load_extra_state(self, state: dict[str, Any]) -> None:
        self.d_steps = int(state["d_steps"])
        if self.sampler is not None:
            self.sampler.load_state_dict(state["sampler"])
