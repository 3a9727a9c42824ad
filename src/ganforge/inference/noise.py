"""A trained noise-to-sample generator, ready for sampling: what ``ganforge.load_run`` returns as
``run.model`` for the GAN tasks (and any plug-in task that opens as one).

``G`` is a plain ``nn.Module`` called as ``G(z, y=None)`` with a ``z_dim`` attribute, in eval mode
without gradients; it returns images (B, C, H, W) in [-1, 1] or, for the 2-D toy sets, points
(B, 2). Sampling, interpolation, arithmetic, inversion, export and evaluation all take this
object, so they work for every task whose trained model draws from noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import nn


@dataclass
class NoiseGenerator:
    G: nn.Module
    num_classes: int = 0
    """Classes the generator is conditioned on (0: unconditional)."""
    class_names: list[str] = field(default_factory=list)
    output_shape: tuple[int, ...] = ()
    """Shape of one sample: (C, H, W) for images, (2,) for toy points."""
    network: str = "G"
    """Which of the run's networks ``G`` is (its key in the checkpoint): exports record it."""

    @property
    def z_dim(self) -> int:
        return int(self.G.z_dim)

    @property
    def is_image(self) -> bool:
        return len(self.output_shape) == 3
