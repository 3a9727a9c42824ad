"""Walks through latent space: linear and spherical interpolation, as a strip or an animated GIF.

DCGAN (Radford, Metz & Chintala 2016, section 6.1, figure 4) walks the latent space to show that
the generator has learned smooth transitions rather than memorised images. Linear interpolation
between two Gaussian latents passes close to the origin, where the norm is atypical (a d-dimensional
N(0, I) sample has norm about sqrt(d)); spherical interpolation (Shoemake 1985, recommended for
GANs by White 2016, "Sampling Generative Networks", section 2.2) follows the great circle instead:

    slerp(a, b; t) = sin((1 - t) Omega) / sin(Omega) a + sin(t Omega) / sin(Omega) b,
    cos(Omega) = <a, b> / (|a| |b|).

Both return exactly ``a`` at t = 0 and ``b`` at t = 1, so the first and last frames are the two
endpoint samples themselves. For a class-conditional generator the class walks too, linearly from
the first sample's class to the last one's (``classes.py``), so both ends are again exactly the
samples of that (seed, index), class included.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor, nn

from ganforge.errors import GanforgeError
from ganforge.explore.classes import generate_mixed, one_hot
from ganforge.explore.figure import auto_scale, compose, upscale
from ganforge.explore.sample import generate
from ganforge.images import atomic_write_bytes, save_png, to_uint8


def lerp(a: Tensor, b: Tensor, t: Tensor) -> Tensor:
    """(d,), (d,), (S,) -> (S, d) points on the segment from a to b."""
    t = t[:, None].to(a.dtype)
    return (1 - t) * a + t * b


def slerp(a: Tensor, b: Tensor, t: Tensor, eps: float = 1e-7) -> Tensor:
    """(d,), (d,), (S,) -> (S, d) points on the great circle from a to b (norms interpolated).

    Nearly parallel vectors (sin Omega ~ 0) fall back to lerp, which is then the same path.
    """
    a64, b64, t64 = a.double(), b.double(), t.double()[:, None]
    cos = torch.dot(a64, b64) / (a64.norm() * b64.norm()).clamp_min(eps)
    omega = torch.arccos(cos.clamp(-1.0, 1.0))
    so = torch.sin(omega)
    if so.abs() < eps:
        return lerp(a, b, t)
    out = (torch.sin((1 - t64) * omega) * a64 + torch.sin(t64 * omega) * b64) / so
    return out.to(a.dtype)


def path(a: Tensor, b: Tensor, steps: int, spherical: bool = False) -> Tensor:
    """``steps`` latents from ``a`` to ``b`` inclusive -> (steps, d); ends are exactly a and b."""
    if steps < 2:
        raise GanforgeError(f"--steps {steps} must be at least 2 (the two endpoints)")
    t = torch.linspace(0, 1, steps, dtype=torch.float64)
    z = slerp(a, b, t) if spherical else lerp(a, b, t)
    z[0], z[-1] = a, b  # exact endpoints, whatever the rounding of sin/cos
    return z


def walk_inputs(
    a: Tensor,
    b: Tensor,
    steps: int,
    spherical: bool = False,
    ya: int | None = None,
    yb: int | None = None,
    num_classes: int = 0,
) -> tuple[Tensor, Tensor | None]:
    """The generator inputs of a walk from (a, ya) to (b, yb): (steps, d) latents along ``path``
    and, for a conditional generator, (steps, K) class weights going linearly from onehot(ya) to
    onehot(yb) (equal classes: the class stays put); None for an unconditional one."""
    z = path(a, b, steps, spherical)  # (S, d)
    if not num_classes:
        return z, None
    if ya is None or yb is None:
        raise GanforgeError("a walk on a class-conditional generator needs both end classes")
    t = torch.linspace(0, 1, steps)[:, None]  # (S, 1)
    ends = one_hot(torch.tensor([ya, yb]), num_classes)  # (2, K)
    w = (1 - t) * ends[0] + t * ends[1]  # (S, K)
    w[0], w[-1] = ends[0], ends[1]  # exact end classes
    return z, w


def walk(
    G: nn.Module,
    a: Tensor,
    b: Tensor,
    steps: int,
    spherical: bool = False,
    ya: int | None = None,
    yb: int | None = None,
    num_classes: int = 0,
) -> Tensor:
    """Frames of the walk of ``walk_inputs`` -> (steps, C, H, W) in [-1, 1]."""
    z, w = walk_inputs(a, b, steps, spherical, ya, yb, num_classes)
    return generate(G, z) if w is None else generate_mixed(G, z, w)


def strip_figure(
    images: Tensor, start: str = "", end: str = "", scale: int | None = None
) -> np.ndarray:
    """(S, C, H, W) in [-1, 1] -> an (H', W', C) uint8 strip enlarged like the other figures,
    each frame captioned with its t, the ends with their names (``#12``, ``z.npy``)."""
    n = images.shape[0]
    captions = [f"t={k / (n - 1):.2f}".rstrip("0").rstrip(".") for k in range(n)]
    captions[0] = "\n".join(filter(None, [start, "t=0"]))
    captions[-1] = "\n".join(filter(None, [end, "t=1"]))
    u8 = to_uint8(images)
    return compose([list(u8)], captions=[captions], scale=scale or auto_scale(u8.shape[-1]))


def save_strip(
    out: str | Path, images: Tensor, start: str = "", end: str = "", scale: int | None = None
) -> None:
    """Write ``strip_figure`` as one PNG."""
    save_png(out, strip_figure(images, start, end, scale))


def save_gif(
    out: str | Path, images: Tensor, frame_ms: int = 100, scale: int = 1, bounce: bool = True
) -> None:
    """(S, C, H, W) in [-1, 1] -> an endlessly looping animated GIF.

    With ``bounce`` the walk plays forward then backward, so the loop has no jump.
    """
    frames_u8 = upscale(to_uint8(images), scale).permute(0, 2, 3, 1).numpy()  # (S, H, W, C)
    if bounce and len(frames_u8) > 2:
        frames_u8 = np.concatenate([frames_u8, frames_u8[-2:0:-1]])
    frames = [Image.fromarray(f[..., 0] if f.shape[-1] == 1 else f) for f in frames_u8]
    buf = io.BytesIO()
    frames[0].save(
        buf, format="GIF", save_all=True, append_images=frames[1:], duration=frame_ms, loop=0
    )
    atomic_write_bytes(out, buf.getvalue())
