"""DiffAugment: cheap differentiable colour / translation / cutout applied to every image D sees.

Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training" (arXiv 2006.10738),
section 3 and the official code (mit-han-lab/data-efficient-gans, DiffAugment_pytorch.py). The
same random augmentation family T is applied to real and generated images in both the D and the G
step, and G is trained through T, so T must be differentiable with respect to the images.

Per sample, with images in [-1, 1] as in the reference:

- ``color``: brightness x + b, b ~ U(-0.5, 0.5); saturation m_c + s (x - m_c), s ~ U(0, 2), m_c the
  per-pixel mean over the colour channels; contrast m + c (x - m), c ~ U(0.5, 1.5), m the per-image
  mean. These may leave [-1, 1], as in the reference.
- ``translation``: integer shift by up to H // 8 rows and W // 8 columns (uniform on
  [-H // 8, H // 8] and [-W // 8, W // 8]), zero fill (0 is mid-grey in [-1, 1]).
- ``cutout``: zero a (H // 2, W // 2) rectangle whose centre is uniform over the image (the
  rectangle is clipped at the border), with the reference's centre range.

The one deliberate difference from the reference: with RGBA input, colour acts on RGB only (means
included) and leaves alpha alone, while translation and cutout, like the reference, act on every
channel, so alpha moves and is erased with the image. On 1-channel images saturation is the
identity, as in the reference. Random numbers come from the ``torch.Generator`` passed in (it must
live on the images' device), drawn once per batch as (B,) tensors.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from ganforge.augment.color import check_channels, join_alpha, split_alpha

POLICIES = ("color", "translation", "cutout")
"""The DiffAugment policy names, in the reference's recommended order."""


def _rand(b: int, x: Tensor, gen: torch.Generator | None) -> Tensor:
    # Drawn in float32 whatever x's dtype, so a half-precision run sees the same augmentations.
    return torch.rand(b, generator=gen, device=x.device).to(x.dtype)


def _randint(low: int, high: int, b: int, x: Tensor, gen: torch.Generator | None) -> Tensor:
    return torch.randint(low, high, (b,), generator=gen, device=x.device)


# ----------------------------------------------------------------------------- colour


def brightness(x: Tensor, b: Tensor) -> Tensor:
    """x + b[i] on the colour channels of sample i; ``b`` (B,)."""
    color, alpha = split_alpha(x)
    return join_alpha(color + b[:, None, None, None], alpha)


def saturation(x: Tensor, s: Tensor) -> Tensor:
    """m_c + s[i] (x - m_c), m_c the per-pixel mean over the colour channels; ``s`` (B,)."""
    color, alpha = split_alpha(x)
    mean = color.mean(dim=1, keepdim=True)  # (B, 1, H, W)
    return join_alpha(mean + (color - mean) * s[:, None, None, None], alpha)


def contrast(x: Tensor, c: Tensor) -> Tensor:
    """m + c[i] (x - m), m the mean over colour channels and pixels of sample i; ``c`` (B,)."""
    color, alpha = split_alpha(x)
    mean = color.mean(dim=(1, 2, 3), keepdim=True)  # (B, 1, 1, 1)
    return join_alpha(mean + (color - mean) * c[:, None, None, None], alpha)


def rand_color(x: Tensor, gen: torch.Generator | None = None) -> Tensor:
    """The reference's ``color`` policy: brightness, then saturation, then contrast."""
    b = x.shape[0]
    x = brightness(x, _rand(b, x, gen) - 0.5)
    x = saturation(x, _rand(b, x, gen) * 2)
    return contrast(x, _rand(b, x, gen) + 0.5)


# ----------------------------------------------------------------------------- geometry


def translate(x: Tensor, ty: Tensor, tx: Tensor) -> Tensor:
    """Shift sample i down by ``ty[i]`` rows and right by ``tx[i]`` columns, zero fill; (B,) ints.

    out[i, :, r, c] = x[i, :, r - ty, c - tx] where that pixel exists, else 0. Two gathers and a
    mask: differentiable in ``x``, no per-sample loop and no host read of the shifts.
    """
    b, ch, h, w = x.shape
    rows = torch.arange(h, device=x.device)[None, :] - ty[:, None]  # (B, H) source rows
    cols = torch.arange(w, device=x.device)[None, :] - tx[:, None]  # (B, W) source columns
    keep_r = (rows >= 0) & (rows < h)
    keep_c = (cols >= 0) & (cols < w)
    out = x.gather(2, rows.clamp(0, h - 1)[:, None, :, None].expand(b, ch, h, w))
    out = out.gather(3, cols.clamp(0, w - 1)[:, None, None, :].expand(b, ch, h, w))
    keep = keep_r[:, None, :, None] & keep_c[:, None, None, :]  # (B, 1, H, W)
    return out * keep.to(x.dtype)


def rand_translation(x: Tensor, gen: torch.Generator | None = None, ratio: float = 0.125) -> Tensor:
    """The reference's ``translation`` policy: shifts uniform on [-int(H ratio), int(H ratio)]."""
    b, _, h, w = x.shape
    sy, sx = int(h * ratio), int(w * ratio)
    ty = _randint(-sy, sy + 1, b, x, gen)
    tx = _randint(-sx, sx + 1, b, x, gen)
    return translate(x, ty, tx)


def cutout(x: Tensor, top: Tensor, left: Tensor, size: tuple[int, int]) -> Tensor:
    """Zero rows [top, top + size[0]) x columns [left, left + size[1]) of each sample, clipped.

    ``top`` and ``left`` (B,) may be negative or run past the border: only the part inside the
    image is erased. Every channel is erased (alpha too: the pixel becomes 0 everywhere).
    """
    _, _, h, w = x.shape
    r = torch.arange(h, device=x.device)[None, :] - top[:, None]  # (B, H)
    c = torch.arange(w, device=x.device)[None, :] - left[:, None]  # (B, W)
    in_r = (r >= 0) & (r < size[0])
    in_c = (c >= 0) & (c < size[1])
    hole = in_r[:, None, :, None] & in_c[:, None, None, :]  # (B, 1, H, W)
    return x * (~hole).to(x.dtype)


def rand_cutout(x: Tensor, gen: torch.Generator | None = None, ratio: float = 0.5) -> Tensor:
    """The reference's ``cutout`` policy: a (H // 2, W // 2) hole with a uniformly drawn centre.

    As in the reference, the centre is uniform on [0, H] for an even hole height (on [0, H - 1] for
    an odd one) so the hole reaches every border equally often.
    """
    b, _, h, w = x.shape
    ch, cw = int(h * ratio), int(w * ratio)
    cy = _randint(0, h + (1 - ch % 2), b, x, gen)
    cx = _randint(0, w + (1 - cw % 2), b, x, gen)
    return cutout(x, cy - ch // 2, cx - cw // 2, (ch, cw))


_OPS = {"color": rand_color, "translation": rand_translation, "cutout": rand_cutout}


def parse_policy(policy: str | Sequence[str]) -> tuple[str, ...]:
    """ "color,translation" -> ("color", "translation"); ValueError on an unknown name."""
    names = policy.split(",") if isinstance(policy, str) else list(policy)
    names = [n.strip() for n in names if n.strip()]
    unknown = [n for n in names if n not in _OPS]
    if unknown:
        raise ValueError(
            f"unknown DiffAugment policy {unknown[0]!r}; choose from {', '.join(POLICIES)}"
        )
    return tuple(names)


def diff_augment(
    x: Tensor, policy: str | Sequence[str], gen: torch.Generator | None = None
) -> Tensor:
    """Apply the DiffAugment ``policy`` (e.g. "color,translation,cutout") in the given order.

    ``x`` (B, C, H, W), C in 1, 3, 4, values in [-1, 1]; returns the same shape, dtype and device.
    An empty policy returns ``x`` itself.
    """
    check_channels(x)
    for name in parse_policy(policy):
        x = _OPS[name](x, gen)
    return x
