"""The ``fastgan`` section: settings of the FastGAN recipe (``model.task=fastgan``).

FastGAN (Liu, Zhu, Song & Elgammal 2021, "Towards Faster and Stabilized GAN Training for
High-fidelity Few-shot Image Synthesis", ICLR, arXiv 2101.04775): a generator with skip-layer
excitation and a discriminator regularised by small decoders that rebuild real images from its own
features. The widths come from ``model.g_width`` (G at full resolution, doubling towards the
basis) and ``model.d_width`` (D's first feature map, doubling down to its 8x8 grid), both capped
at ``max_width``. The networks: ganforge/models/fastgan.py; the task: ganforge/tasks/fastgan.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from ganforge.config.checks import choice, number

RECON_METRICS = ("mse", "l1")


@dataclass
class FastGANConfig:
    max_width: int = 256
    """Widest stage of G and D (the paper: 1024 at 4x4; 256 is CPU-sized)."""
    sle_gap: int = 0
    """Stages a skip-layer excitation jumps (0: min(4, stages), the paper's 16x, e.g. 4x4 gates
    64x64)."""
    decoder_width: int = 32
    """First width of D's reconstruction decoders."""
    recon_weight: float = 1.0
    """Weight of the decoders' reconstruction loss in D's loss (the paper: 1); 0 turns the
    self-supervision off."""
    recon_metric: str = "mse"
    """mse | l1: the reconstruction distance (the paper's LPIPS needs weights ganforge cannot
    fetch: losses/self_supervised.py says why a pixel loss stands in)."""
    spectral_norm: bool = True
    """Spectral normalisation on every convolution of G and D, as the official code."""

    def __post_init__(self) -> None:
        number(self.max_width, "fastgan.max_width", 1, 8192)
        number(self.sle_gap, "fastgan.sle_gap", 0, 8, hint=" (0: the paper's)")
        number(self.decoder_width, "fastgan.decoder_width", 1, 8192)
        number(self.recon_weight, "fastgan.recon_weight", 0, 1e6)
        choice(self.recon_metric, RECON_METRICS, "fastgan.recon_metric")
