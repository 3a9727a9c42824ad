"""ADA's "bgc" augmentation pipeline: blit, general geometry and colour, each applied with prob. p.

Karras et al. 2020, "Training Generative Adversarial Networks with Limited Data" (arXiv 2006.06676),
section 2.2 (the pipeline) and appendix B (its details); official code
NVlabs/stylegan2-ada-pytorch, training/augment.py (``AugmentPipe`` with the ``bgc`` preset of
train.py). Every transform is applied to each sample independently with probability p (rotation:
pre- and post-rotation each with 1 - sqrt(1 - p), so a sample is rotated with probability p). The
paper finds the pipeline non-leaking for p below about 0.8: D's augmented view then still pins down
the clean distribution G must match, so G does not learn to produce augmented images.

- blit (``b``): x-flip, rotation by a multiple of 90 degrees, integer translation (up to 1/8 of
  the side).
- geometry (``g``): isotropic scaling (lognormal, log2 std 0.2), pre-rotation (uniform angle),
  anisotropic scaling (log2 std 0.2), post-rotation, fractional translation (std 1/8 of the side).
- colour (``c``): brightness (std 0.2), contrast (log2 std 0.5), luma flip, hue rotation (uniform
  angle), saturation (log2 std 1). Grayscale images get the luma subset (brightness, contrast, luma
  flip) exactly as the reference, which skips hue and saturation for one channel.

The strengths are the paper's defaults (``AdaStrengths``). Blit and geometry compose into one 3x3
inverse matrix per sample, executed by one ``grid_sample`` (see ``warp.py`` for the one
approximation: no wavelet up/down-sampling around the warp); colour composes into one 4x4 matrix
per sample. Samples whose drawn transform is the identity come back bit-identical, and with ``p``
a float equal to 0 the input is returned as is without drawing any random numbers.

The p tensor is read only on the device (``torch.where(u < p, ...)``), never on the host.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from ganforge.augment import matrices as M
from ganforge.augment.color import apply_color_matrix, check_channels
from ganforge.augment.warp import warp_affine

GROUPS = "bgc"
"""ADA transform groups: b(lit), g(eometry), c(olour)."""


@dataclass(frozen=True)
class AdaStrengths:
    """Ranges of the ADA transforms; the defaults are the paper's (``AugmentPipe``'s defaults)."""

    xint_max: float = 0.125
    """Integer translation: uniform on +-xint_max of the side, rounded to whole pixels."""
    scale_std: float = 0.2
    """Isotropic scaling: log2 of the factor ~ N(0, scale_std^2)."""
    rotate_max: float = 1.0
    """Rotation: uniform angle on +-rotate_max * pi (1: the full circle)."""
    aniso_std: float = 0.2
    """Anisotropic scaling: log2 of the x factor ~ N(0, aniso_std^2), y scaled by its inverse."""
    xfrac_std: float = 0.125
    """Fractional translation: N(0, xfrac_std^2) of the side."""
    brightness_std: float = 0.2
    """Brightness: offset ~ N(0, brightness_std^2) (image range [-1, 1])."""
    contrast_std: float = 0.5
    """Contrast: log2 of the gain ~ N(0, contrast_std^2)."""
    hue_max: float = 1.0
    """Hue rotation about the grey axis: uniform angle on +-hue_max * pi."""
    saturation_std: float = 1.0
    """Saturation: log2 of the gain off the grey axis ~ N(0, saturation_std^2)."""


class Draws:
    """Per-sample random draws for one batch from one generator, on the images' device; ``p`` is
    the 0-dim device tensor of the probability (compared on the device, never read)."""

    def __init__(self, b: int, p: Tensor, gen: torch.Generator | None, device: torch.device):
        self.b, self.p, self.gen, self.device = b, p, gen, device

    def rand(self, *shape: int) -> Tensor:
        return torch.rand((self.b, *shape), generator=self.gen, device=self.device)

    def randn(self, *shape: int) -> Tensor:
        return torch.randn((self.b, *shape), generator=self.gen, device=self.device)

    def gate(self, value: Tensor, identity: float, prob: Tensor | None = None) -> Tensor:
        """``value`` where u < prob (default p) per sample, else ``identity``; (B,) or (B, k)."""
        u = self.rand(*([1] * (value.dim() - 1)))
        return torch.where(u < (self.p if prob is None else prob), value, identity)


def geometry_matrix(
    h: int,
    w: int,
    draw: Draws,
    blit: bool = True,
    geom: bool = True,
    strengths: AdaStrengths = AdaStrengths(),
) -> Tensor:
    """(B, 3, 3) inverse map G^-1 (output pixel -> input pixel) composed like the reference.

    Each transform T contributes T^-1 on the right, so the first transform drawn is applied first.
    """
    s = strengths
    g_inv = torch.eye(3, device=draw.device).repeat(draw.b, 1, 1)  # (B, 3, 3)
    one = torch.ones(draw.b, device=draw.device)
    if blit:
        flip = draw.gate(torch.floor(draw.rand() * 2), 0.0)  # 1: mirror x
        g_inv = g_inv @ M.scale2d(1 - 2 * flip, one)  # a mirror is its own inverse
        k = draw.gate(torch.floor(draw.rand() * 4), 0.0)  # quarter turns
        g_inv = g_inv @ M.rotate90_2d(k)  # k quarter turns, as torch.rot90(x, k)
        t = draw.gate((draw.rand(2) * 2 - 1) * s.xint_max, 0.0)  # (B, 2), fraction of the side
        g_inv = g_inv @ M.translate2d(-torch.round(t[:, 0] * w), -torch.round(t[:, 1] * h))
    if geom:
        iso = draw.gate(torch.exp2(draw.randn() * s.scale_std), 1.0)
        g_inv = g_inv @ M.scale2d(1 / iso, 1 / iso)
        # Two independent rotations, each with p_rot, so that P(pre or post) = p.
        p_rot = 1 - torch.sqrt((1 - draw.p).clamp(0, 1))
        theta = draw.gate((draw.rand() * 2 - 1) * math.pi * s.rotate_max, 0.0, p_rot)
        g_inv = g_inv @ M.rotate2d(theta)
        aniso = draw.gate(torch.exp2(draw.randn() * s.aniso_std), 1.0)
        g_inv = g_inv @ M.scale2d(1 / aniso, aniso)
        theta = draw.gate((draw.rand() * 2 - 1) * math.pi * s.rotate_max, 0.0, p_rot)
        g_inv = g_inv @ M.rotate2d(theta)
        t = draw.gate(draw.randn(2) * s.xfrac_std, 0.0)  # (B, 2)
        g_inv = g_inv @ M.translate2d(-t[:, 0] * w, -t[:, 1] * h)
    return g_inv


def color_matrix(channels: int, draw: Draws, strengths: AdaStrengths = AdaStrengths()) -> Tensor:
    """(B, 4, 4) colour matrix C (colour_in -> colour_out) composed like the reference."""
    s = strengths
    eye = torch.eye(4, device=draw.device)
    c = eye.repeat(draw.b, 1, 1)  # (B, 4, 4)
    v = M.luma_axis(draw.device)
    vv = torch.outer(v, v)  # (4, 4) projector onto the grey axis
    bright = draw.gate(draw.randn() * s.brightness_std, 0.0)
    c = M.translate3d(bright, bright, bright) @ c
    gain = draw.gate(torch.exp2(draw.randn() * s.contrast_std), 1.0)
    c = M.scale3d(gain, gain, gain) @ c
    flip = draw.gate(torch.floor(draw.rand() * 2), 0.0)[:, None, None]  # (B, 1, 1)
    c = (eye - 2 * vv * flip) @ c  # Householder reflection of the luma component
    if channels > 1:  # hue and saturation do not exist for grayscale (as the reference)
        theta = draw.gate((draw.rand() * 2 - 1) * math.pi * s.hue_max, 0.0)
        c = M.rotate3d(v, theta) @ c
        sat = draw.gate(torch.exp2(draw.randn() * s.saturation_std), 1.0)[:, None, None]
        # vv + (I - vv) s written as I + (s - 1)(I - vv): exactly I when s = 1.
        c = (eye + (sat - 1) * (eye - vv)) @ c
    return c


def _changed(m: Tensor) -> Tensor:
    """(B, 1, 1, 1) bool: the sample's matrix is not exactly the identity."""
    eye = torch.eye(m.shape[-1], device=m.device, dtype=m.dtype)
    return (m != eye).flatten(1).any(dim=1)[:, None, None, None]


def ada_augment(
    x: Tensor,
    p: Tensor | float,
    gen: torch.Generator | None = None,
    groups: str = GROUPS,
    strengths: AdaStrengths = AdaStrengths(),
) -> Tensor:
    """Augment (B, C, H, W) images in [-1, 1] (C in 1, 3, 4) with ADA; same shape, dtype, device.

    ``p``: probability of each transform, a float or a 0-dim tensor on ``x``'s device (read only on
    the device). ``groups``: any of "b", "g", "c" ("bgc": the paper's pipeline). Random numbers
    come from ``gen``, which must live on ``x``'s device.
    """
    check_channels(x)
    unknown = set(groups) - set(GROUPS)
    if unknown:
        raise ValueError(f"unknown ADA groups {''.join(sorted(unknown))!r}; choose from {GROUPS}")
    if not isinstance(p, Tensor) and p <= 0:
        return x
    b, c, h, w = x.shape
    if not isinstance(p, Tensor):  # a fill, not a host-to-device copy (which would sync CUDA)
        p = torch.full((), float(p), device=x.device)
    draw = Draws(b, p, gen, x.device)
    if "b" in groups or "g" in groups:
        g_inv = geometry_matrix(h, w, draw, "b" in groups, "g" in groups, strengths)
        # Untouched samples skip the resampling's rounding: bit-identical, and p = 0 is exact.
        x = torch.where(_changed(g_inv), warp_affine(x, g_inv), x)
    if "c" in groups:
        cm = color_matrix(min(c, 3), draw, strengths)
        x = torch.where(_changed(cm), apply_color_matrix(x, cm), x)
    return x
