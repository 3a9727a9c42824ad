"""The ``augment`` section: differentiable augmentation of what the discriminator sees.

DiffAugment: Zhao et al. 2020 (arXiv 2006.10738). ADA: Karras et al. 2020 (arXiv 2006.06676);
the defaults are the papers'. The ops themselves are ganforge/augment (above this layer).
"""

from __future__ import annotations

from dataclasses import dataclass

from ganforge.config.checks import choice, number
from ganforge.errors import GanforgeError

METHODS = ("none", "diffaugment", "ada")
# Copies of diffaugment.POLICIES and ada.GROUPS (a test keeps them equal): importing the op modules
# would pull torch into the config layer.
DIFFAUGMENT_OPS = ("color", "translation", "cutout")
ADA_GROUPS = "bgc"


@dataclass
class AugmentConfig:
    policy: str = "none"
    """none | diffaugment (Zhao et al. 2020) | ada (Karras et al. 2020): how the images D sees
    (real and generated alike, in the D and the G step) are augmented."""
    diffaugment: str = "color,translation,cutout"
    """DiffAugment ops, comma-separated, applied in the order given: color, translation, cutout."""
    ada_groups: str = "bgc"
    """ADA transform groups: any of b (x-flip, 90-degree rotations, integer translation),
    g (scaling, rotation, anisotropy, fractional translation), c (brightness, contrast, luma flip,
    hue, saturation)."""
    ada_target: float = 0.6
    """ADA: target of r_t = E[sign(D(real))]; p rises while r_t is above it (0.6 in the paper)."""
    ada_kimg: float = 500.0
    """ADA: thousands of real images over which p can move by 1 (speed of the controller)."""
    ada_interval: int = 4
    """ADA: adjust p every this many D steps (4 in the paper)."""
    ada_adaptive: bool = True
    """ADA: adapt p to r_t; false keeps p fixed at augment.ada_p."""
    ada_p: float = 0.0
    """ADA: the augmentation probability at the start (adaptive) or throughout (fixed)."""

    def __post_init__(self) -> None:
        choice(self.policy, METHODS, "augment.policy")
        ops = [op.strip() for op in self.diffaugment.split(",")]
        bad = [op for op in ops if op not in DIFFAUGMENT_OPS]
        if bad:
            raise GanforgeError(
                f"augment.diffaugment={self.diffaugment!r}: {bad[0]!r} is not one of "
                f"{', '.join(DIFFAUGMENT_OPS)} (comma-separated)"
            )
        if len(set(ops)) != len(ops):
            raise GanforgeError(f"augment.diffaugment={self.diffaugment!r} names an op twice")
        groups = self.ada_groups
        if not groups or set(groups) - set(ADA_GROUPS) or len(set(groups)) != len(groups):
            raise GanforgeError(
                f"augment.ada_groups={groups!r} must be letters of 'bgc', each at most once"
            )
        number(self.ada_target, "augment.ada_target", 0, 1, lo_open=True, hi_open=True)
        number(self.ada_kimg, "augment.ada_kimg", 0, 1e9, lo_open=True)
        number(self.ada_interval, "augment.ada_interval", 1, 10**6)
        number(self.ada_p, "augment.ada_p", 0, 1)
