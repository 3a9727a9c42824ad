"""The ``inpaint`` section: settings of the inpainting task (``model.task=inpaint``).

What the generator, the discriminator, the masks and the losses are (ganforge/tasks/inpaint.py
cites the papers). The mask statistics (``mask_kind``, ``min_share``, ``max_share``) are config
keys so that a run says how much it was trained to fill, and the share actually missing is logged
(the ``missing`` column of metrics.csv). Only each value's own range is checked here; the checks
that tie it to the data (sides divisible by the generator's multiple) are the task's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ganforge.config.checks import choice, number
from ganforge.errors import GanforgeError

GENERATORS = ("gated", "partial")
DISCRIMINATORS = ("auto", "sn-patch", "global-local")
MASK_KINDS = ("strokes", "rectangles", "mixed")


@dataclass
class InpaintConfig:
    generator: str = "gated"
    """gated (gated convolutions, Yu et al. 2019) | partial (partial-convolution U-Net, Liu et
    al. 2018). model.g_width is its width."""
    stages: int = 1
    """Gated generator: 1 (coarse) or 2 (coarse-to-fine, as DeepFill v2)."""
    dilations: list[int] = field(default_factory=lambda: [2, 4])
    """Gated generator: dilation rates of the middle layers (the paper's 2, 4, 8, 16 suit 256 px;
    2, 4 suit 32-64 px, whose 1/4-resolution maps are 8-16 wide)."""
    unet_depth: int = 4
    """Partial-convolution U-Net: stride-2 levels (the paper's 7 at 512 px); sides must be
    multiples of 2^depth."""
    discriminator: str = "auto"
    """auto (global-local for rectangles, sn-patch for strokes and mixed: the papers' pairings) |
    sn-patch (SN-PatchGAN, Yu et al. 2019) | global-local (Iizuka et al. 2017). model.d_width is
    its width."""
    d_layers: int = 0
    """Stride-2 layers of the discriminator (global-local: of its global column; the local
    column has one fewer); 0: log2(short side) - 2, a 4x4 map at the end."""
    mask_kind: str = "strokes"
    """strokes (free-form brush strokes, Yu et al. 2019) | rectangles (one box, Pathak et al.
    2016 / Iizuka et al. 2017) | mixed (each mask one or the other, even odds): the masks drawn
    on the fly for each training batch."""
    min_share: float = 0.1
    """Smallest share of an image's pixels missing in a training mask."""
    max_share: float = 0.5
    """Largest share of an image's pixels missing in a training mask."""
    mask_pool: int = 1024
    """Masks drawn once per run and served with random flips and transposes (masks/pool.py:
    strokes cost a tenth of a CPU step when drawn per batch); 0: draw every batch afresh."""
    hole_weight: float = 6.0
    """Weight of the L1 error in the hole (Liu et al. 2018: 6; Yu et al. 2019: 1)."""
    valid_weight: float = 1.0
    """Weight of the L1 error on the known pixels (Liu et al. 2018 and Yu et al. 2019: 1)."""
    adv_weight: float = 0.1
    """Weight of G's adversarial loss next to the reconstruction (Yu et al. 2019: 1, Iizuka et al.
    2017: 0.0004 with an MSE); 0 trains the reconstruction alone (a Context Encoder without D)."""

    def __post_init__(self) -> None:
        choice(self.generator, GENERATORS, "inpaint.generator")
        choice(self.discriminator, DISCRIMINATORS, "inpaint.discriminator")
        choice(self.mask_kind, MASK_KINDS, "inpaint.mask_kind")
        if self.stages not in (1, 2):
            raise GanforgeError(f"inpaint.stages={self.stages} must be 1 or 2")
        if not self.dilations or len(self.dilations) > 8 or any(d < 1 for d in self.dilations):
            raise GanforgeError(
                f"inpaint.dilations={self.dilations} must list 1 to 8 rates, each at least 1, "
                "e.g. [2, 4]"
            )
        number(self.unet_depth, "inpaint.unet_depth", 2, 10)
        number(self.d_layers, "inpaint.d_layers", 0, 10, hint=" (0: from the image size)")
        number(self.min_share, "inpaint.min_share", 0, 1, lo_open=True, hi_open=True)
        number(self.max_share, "inpaint.max_share", 0, 1, lo_open=True, hi_open=True)
        if self.min_share > self.max_share:
            raise GanforgeError(
                f"inpaint.min_share={self.min_share} is above inpaint.max_share={self.max_share}: "
                "the missing share is drawn between them"
            )
        number(self.mask_pool, "inpaint.mask_pool", 0, 1 << 16, hint=" (0: no pool)")
        for k in ("hole_weight", "valid_weight", "adv_weight"):
            number(getattr(self, k), f"inpaint.{k}", 0, 1e6)
        if self.hole_weight == 0 and self.valid_weight == 0 and self.adv_weight == 0:
            raise GanforgeError(
                "inpaint.hole_weight, valid_weight and adv_weight are all 0: nothing to train"
            )
