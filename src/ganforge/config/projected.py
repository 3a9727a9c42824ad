"""The ``projected`` section: the projected discriminator's settings (``model.discriminator=projected``).

Projected GAN (Sauer, Chitta, Müller & Geiger 2021, "Projected GANs Converge Faster", NeurIPS,
arXiv 2111.01007): D judges images through a frozen ImageNet EfficientNet-Lite0, its features
spread by fixed random cross-channel and cross-scale mixing (CCM, CSM) and judged by one small
trainable head per scale. The network: ganforge/models/projected.py. Any noise-to-image family
(gan, r3gan, fastgan) can train against it instead of its own discriminator.

The backbone is Lite0, the paper's, and never Lite1: Lite1 is the folder metric's feature network
(``fd_lite1``), and a D that trains G on the metric's own features would game the score. Every
evaluation of such a run records that D saw ImageNet features (its protocol's
``discriminator_features``), since any ImageNet-feature metric favours it (Kynkäänniemi et al.
2023, "The Role of ImageNet Classes in Fréchet Inception Distance").
"""

from __future__ import annotations

from dataclasses import dataclass

from ganforge.config.checks import choice, number

BACKGROUNDS = ("random", "white", "black", "grey")
# A copy of models.projected.BACKGROUNDS' keys (a test keeps them equal): importing the model
# module would pull torch into the config layer.


@dataclass
class ProjectedConfig:
    resize_to: int = 0
    """Side the frozen network sees (the shorter one; bilinear, aspect kept): 0 runs it at the
    data's own resolution, 224 is the paper's. On a CPU a whole FastGAN training step with this D
    at the data's own 64 px is 4.8x cheaper than at 224 px (11.9 vs 2.5 images per CPU-second,
    benchmarks/results/projected-resolution-cpu-shared.json)."""
    num_scales: int = 4
    """EfficientNet-Lite0 maps used, from the finest (1/4, 1/8, 1/16, 1/32 of the input); each
    side of the input needs at least the deepest one's stride (32 px for 4, 16 for 3, 8 for 2)."""
    ccm_channels: int = 64
    """Width of the random cross-channel mixing at the finest scale, doubled at each coarser one
    (the paper: 64, 128, 256, 512)."""
    background: str = "random"
    """What RGBA images are composited onto before the RGB network sees them: random (a colour
    per image, so transparency never looks like one colour) | white | black | grey. A small
    trainable branch judges the alpha channel itself."""
    alpha_width: int = 16
    """First width of that alpha branch (RGBA only)."""
    embed_dim: int = 64
    """Class-embedding size of the projection terms of class-conditional runs."""

    def __post_init__(self) -> None:
        number(self.resize_to, "projected.resize_to", 0, 1024, hint=" (0: the data's own size)")
        number(self.num_scales, "projected.num_scales", 1, 4)
        number(self.ccm_channels, "projected.ccm_channels", 1, 1024)
        choice(self.background, BACKGROUNDS, "projected.background")
        number(self.alpha_width, "projected.alpha_width", 1, 1024)
        number(self.embed_dim, "projected.embed_dim", 1, 4096)
