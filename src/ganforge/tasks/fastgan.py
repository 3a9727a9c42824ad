"""FastGAN as a task: Liu, Zhu, Song & Elgammal 2021, "Towards Faster and Stabilized GAN Training
for High-fidelity Few-shot Image Synthesis" (ICLR 2021, arXiv 2101.04775), the recipe for small
image folders on a CPU.

Networks (models/fastgan.py): G with skip-layer excitation (section 3.1, eq. 1), D with two small
decoders that rebuild real images from its own features (section 3.2). D phase: the adversarial
loss (hinge by default, the paper's; or non-saturating) on augmented reals and fakes, plus
``fastgan.recon_weight`` times the decoders' reconstruction error on the augmented reals (eq. 3,
losses/self_supervised.py: a pixel MSE in place of LPIPS), plus lazy R1 when ``loss.r1_gamma`` is
set. G phase: the generator loss through the same augmentation, D frozen. EMA of G, bf16 autocast
where the CPU has it (``runtime.precision=auto``), DiffAugment (Zhao et al. 2020; translation and
cutout on every channel, colour on RGB only: augment/diffaugment.py) or ADA (Karras et al. 2020).

Sizes and channels as R3GAN's: 32 to 128 px (any size ``fastgan_grid`` builds, e.g. [64, 96]),
grey, RGB or RGBA. With ``model.discriminator=projected`` G trains against the projected
discriminator (Sauer et al. 2021, who pair it with a FastGAN generator too); the decoders then go,
since that D has no features of its own to regularise.

Everything else (data on the device, flips, sharded draws, the D/G phases with the fake batch
carried from D to G, spectral norm's power iteration, samples, ``open`` as a ``NoiseGenerator``,
evaluation) is the GAN task's: this module writes the networks, the checks and the
reconstruction term (``judge_reals``).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from ganforge.config import AugmentConfig, Config, FastGANConfig, ProjectedConfig
from ganforge.errors import GanforgeError
from ganforge.evaluation.training import eval_plan
from ganforge.losses.self_supervised import decoder_reconstruction
from ganforge.models.fastgan import FastGANDiscriminator, FastGANGenerator, fastgan_grid
from ganforge.tasks.gan import GANTask, check_discriminator
from ganforge.tasks.two_player import GAN_PANELS

FASTGAN_COLUMNS = (
    "d_loss",
    "g_loss",
    "d_real",
    "d_fake",
    "recon",
    "r1",
    "d_grad_norm",
    "g_grad_norm",
)
"""metrics.csv columns of the phases: the losses, D's outputs, the decoders' reconstruction
error (weighted), R1 and the gradient norms."""

LOSS_NAMES = ("auto", "hinge", "nonsaturating")


def widths(cfg: Config) -> tuple[list[int], list[int]]:
    """(G widths from the basis to the image, D widths from H/2 to its logit grid): G has
    ``model.g_width`` at full resolution and D ``model.d_width`` at its first map, each doubling
    per stage away from there, at most ``fastgan.max_width`` (64 px with 16 / 32 / 256: G 256,
    128, 64, 32, 16 and D 32, 64, 128)."""
    k, _, _ = fastgan_grid(*cfg.data.size)
    cap, m = cfg.fastgan.max_width, cfg.model
    g = [min(cap, m.g_width * 2 ** (k - i)) for i in range(k + 1)]
    d = [min(cap, m.d_width * 2**i) for i in range(k - 1)]
    return g, d


class FastGANTask(GANTask):
    """FastGAN (Liu et al. 2021): SLE generator, self-supervised discriminator (or the projected
    one), hinge loss, DiffAugment, EMA."""

    sections = {"augment": AugmentConfig, "fastgan": FastGANConfig, "projected": ProjectedConfig}
    log_columns = FASTGAN_COLUMNS
    plot_panels = (
        ("losses", ("d_loss", "g_loss", "recon")),
        *GAN_PANELS[1:],
    )

    def __init__(
        self, cfg: Config, data: Any, device: torch.device, precision: str = "fp32"
    ) -> None:
        super().__init__(cfg, data, device, precision)
        f = cfg.fastgan
        self.reconstruct = isinstance(self.D, FastGANDiscriminator) and f.recon_weight > 0

    # ------------------------------------------------------------------ networks (GANTask hooks)
    @classmethod
    def generator_for(cls, cfg: Config, num_classes: int) -> nn.Module:
        (h, w), f, m = cfg.data.size, cfg.fastgan, cfg.model
        k = num_classes if m.conditional != "none" else 0
        return FastGANGenerator(
            m.z_dim,
            cfg.data.channels,
            h,
            w,
            widths(cfg)[0],
            sle_gap=f.sle_gap or None,
            num_classes=k,
            spectral_norm=f.spectral_norm,
        )

    @classmethod
    def own_discriminator(cls, cfg: Config, num_classes: int) -> nn.Module:
        (h, w), f = cfg.data.size, cfg.fastgan
        k = num_classes if cfg.model.conditional != "none" else 0
        return FastGANDiscriminator(
            cfg.data.channels,
            h,
            w,
            widths(cfg)[1],
            decoder_width=f.decoder_width,
            num_classes=k,
            spectral_norm=f.spectral_norm,
        )

    # ------------------------------------------------------------------ config
    @staticmethod
    def paper_loss(cfg: Config) -> str:
        """``loss.name``, with auto meaning the hinge loss of the paper's official code."""
        return "hinge" if cfg.loss.name == "auto" else cfg.loss.name

    @classmethod
    def check_config(cls, cfg: Config) -> None:
        d, m, lc, f = cfg.data, cfg.model, cfg.loss, cfg.fastgan
        if d.is_toy:
            raise GanforgeError("model.task=fastgan generates images: data.source cannot be a toy")
        try:
            k, _, _ = fastgan_grid(*d.size)
        except GanforgeError as e:
            raise GanforgeError(f"data.resolution={d.resolution}: {e}") from None
        if f.sle_gap > k:
            raise GanforgeError(
                f"fastgan.sle_gap={f.sle_gap} jumps more than the {k} stages of a {d.size[0]}x"
                f"{d.size[1]} generator: set it to 1..{k}, or 0 for the paper's"
            )
        if lc.name not in LOSS_NAMES:
            raise GanforgeError(
                f"model.task=fastgan trains the hinge or the non-saturating loss: set loss.name "
                f"to auto (hinge), hinge or nonsaturating, not {lc.name}"
            )
        if lc.gp_weight or lc.clip:
            raise GanforgeError(
                "model.task=fastgan's discriminator uses batch norm, which a per-sample gradient "
                "penalty and weight clipping do not suit: set loss.gp_weight and loss.clip to 0 "
                "(loss.r1_gamma regularises it)"
            )
        if m.conditional == "concat":
            raise GanforgeError(
                "model.task=fastgan conditions by projection (the class embedding joins z in G "
                "and is projected on D's patch features): set model.conditional=projection"
            )
        check_discriminator(cfg)
        if cfg.train.eval_every > 0:
            eval_plan(cfg)

    # ------------------------------------------------------------------ the D phase's extra term
    def judge_reals(
        self, D: nn.Module, x: Tensor, y: Tensor | None, gen: torch.Generator
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """D's logits on the augmented reals and, with FastGAN's own D, its decoders'
        reconstruction of them (the whole image small, one random quadrant) as ``recon``."""
        if not self.reconstruct:
            return super().judge_reals(D, x, y, gen)
        out = D(x, y, reconstruct=True, gen=gen)
        f = self.cfg.fastgan
        rec = decoder_reconstruction(out.recons, out.targets, f.recon_metric)
        return out.logits.float(), {"recon": f.recon_weight * rec}
