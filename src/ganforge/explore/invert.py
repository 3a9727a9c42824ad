"""GAN inversion: find a latent z whose image G(z) reproduces a given image x.

Optimisation-based inversion (Zhu et al. 2016, "Generative Visual Manipulation on the Natural Image
Manifold", section 3.2; Creswell & Bharath 2018, "Inverting the Generator of a GAN") descends

    L(z) = mean (G(z) - x)^2                                   pixel loss
         + lambda_f |phi(G(z)) - phi(x)|^2 / |phi(x)|^2       discriminator-feature loss
         + lambda_p mean z^2                                   keeps z where the prior has mass

where phi is the discriminator's last feature map: D learned features that tell images apart, the
"learned similarity" of Larsen et al. 2016 ("Autoencoding beyond pixels", section 2.2), which
rewards getting the structure right where pixel loss alone is content with blur. The feature term
is relative so its weight does not depend on D's activation scale.

Non-convexity is handled as in Zhu et al.: the optimisation starts from the ``restarts`` best of
``candidates`` seeded samples and runs them in one batch; Adam's learning rate follows a cosine
ramp-down (as StyleGAN2's projector does, Karras et al. 2020, appendix D) and the best iterate of
each restart is kept.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor, nn
from tqdm.auto import tqdm

from ganforge.data.sources.folder import load_image
from ganforge.errors import GanforgeError
from ganforge.explore.figure import auto_scale, compose
from ganforge.explore.latents import latents
from ganforge.explore.sample import generate, model_device
from ganforge.images import to_uint8
from ganforge.models.dcgan import DCGANDiscriminator
from ganforge.models.mlp import MLPDiscriminator
from ganforge.models.resnet import ResNetDiscriminator


@dataclass
class InversionResult:
    z: Tensor
    """(z_dim,) the latent found."""
    image: Tensor
    """(1, C, H, W) G(z) in [-1, 1]."""
    mse: float
    """Mean squared pixel error of G(z) against the target, pixels scaled to [0, 1]."""
    initial_mse: float
    """The same error for the best starting sample, before optimisation."""
    history: list[float] = field(default_factory=list)
    """Best pixel MSE ([0, 1] scale) after each step."""

    @property
    def psnr(self) -> float:
        return 10 * math.log10(1 / max(self.mse, 1e-12))


# --------------------------------------------------------------------------- the target image


def load_target(
    path: str | Path, channels: int, resolution: int, background: tuple[int, int, int]
) -> tuple[Tensor, list[str]]:
    """An image file -> (1, C, R, R) in [-1, 1] as the run's data was prepared, plus notes on
    what had to change (size, mode) for the caller to show as warnings."""
    path = Path(path)
    if not path.is_file():
        raise GanforgeError(f"{path} does not exist: give an image file (PNG, JPEG, ...)")
    try:
        with Image.open(path) as img:
            size, mode = img.size, img.mode
    except (OSError, SyntaxError, ValueError):
        raise GanforgeError(f"{path} is not an image Pillow can read: give a PNG or JPEG") from None
    arr = load_image(path, resolution, channels, background)  # the training data's cleaning
    if isinstance(arr, str):
        raise GanforgeError(f"{path} cannot be used: {arr}")
    notes = []
    if size != (resolution, resolution):
        crop = " (centre crop)" if size[0] != size[1] else ""
        notes.append(
            f"{path.name} is {size[0]}x{size[1]}; resized to the generator's "
            f"{resolution}x{resolution}{crop}"
        )
    want = "L" if channels == 1 else "RGB"
    if mode != want:
        notes.append(f"{path.name} is {mode}; converted to {want} as the run's data was")
    x = torch.tensor(arr).float().div(127.5).sub(1)  # (C, R, R) in [-1, 1]
    return x[None], notes


# --------------------------------------------------------------------------- D features


def discriminator_features(D: nn.Module) -> Callable[[Tensor, Tensor | None], Tensor]:
    """phi: images (and labels) -> (B, F) features from D's last hidden layer, differentiable."""
    if isinstance(D, DCGANDiscriminator):
        module, before = D.features, False  # (B, 4w, s, s) before the logit conv
    elif isinstance(D, ResNetDiscriminator):
        module, before = D.blocks, False  # (B, W, 8, 8) before global pooling
    elif isinstance(D, MLPDiscriminator):
        module, before = D.net[-1], True  # the input of the final linear layer
    else:
        raise GanforgeError(f"no feature layer known for {type(D).__name__}")

    def phi(x: Tensor, y: Tensor | None) -> Tensor:
        out: list[Tensor] = []
        if before:
            handle = module.register_forward_pre_hook(lambda m, inp: out.append(inp[0]))
        else:
            handle = module.register_forward_hook(lambda m, inp, o: out.append(o))
        try:
            D(x, y)
        finally:
            handle.remove()
        return out[0].float().flatten(1)

    return phi


# --------------------------------------------------------------------------- the optimisation


def _pixel_mse(a: Tensor, b: Tensor) -> Tensor:
    """Per-sample MSE with pixels scaled to [0, 1] (images are in [-1, 1]): (B, ...) -> (B,)."""
    return ((a - b) / 2).pow(2).flatten(1).mean(1)


@torch.enable_grad()  # gradients w.r.t. z, even when called under no_grad or inference code
def invert(
    G: nn.Module,
    target: Tensor,
    D: nn.Module | None = None,
    y: int | None = None,
    steps: int = 500,
    lr: float = 0.05,
    restarts: int = 4,
    candidates: int = 64,
    feature_weight: float = 0.1,
    prior_weight: float = 1e-3,
    seed: int = 0,
    progress: bool = False,
) -> InversionResult:
    """Optimise z so that G(z, y) matches ``target`` (1, C, H, W) in [-1, 1].

    ``progress`` shows a tqdm bar on stderr with the best pixel MSE so far.
    """
    if steps < 0:
        raise GanforgeError(f"--steps {steps} must not be negative")
    dev, d = model_device(G), int(G.z_dim)
    x = target.to(dev)
    restarts = max(1, min(restarts, candidates))

    # 1. starting points: the best few of many seeded samples (one batched forward pass)
    z0 = latents(seed, range(candidates), d)  # (K, d)
    start = generate(G, z0, _y(y, candidates))  # (K, C, H, W)
    if start.shape[1:] != target.shape[1:]:
        raise GanforgeError(
            f"the target is {tuple(target.shape[1:])} but the generator makes {tuple(start.shape[1:])}"
        )
    err0 = _pixel_mse(start, target)  # (K,)
    order = err0.argsort()[:restarts]
    z = z0[order].to(dev).requires_grad_(True)  # (R, d)
    yy = None if y is None else _y(y, restarts).to(dev)
    phi = discriminator_features(D) if (D is not None and feature_weight > 0) else None
    with torch.no_grad():
        target_phi = phi(x, None if y is None else yy[:1]) if phi else None
        scale = target_phi.pow(2).mean().clamp_min(1e-8) if phi else None

    # 2. Adam on z with a cosine learning-rate ramp-down, keeping each restart's best iterate
    opt = torch.optim.Adam([z], lr=lr)
    best_err = torch.full((restarts,), float("inf"), device=dev)
    best_z = z.detach().clone()
    history = []
    with tqdm(total=steps, desc="inverting", unit="step", disable=not progress, leave=False) as bar:
        for step in range(steps + 1):
            out = G(z, yy)  # (R, C, H, W)
            pix = _pixel_mse(out, x)  # (R,)
            with torch.no_grad():
                better = pix < best_err
                best_err = torch.where(better, pix, best_err)
                best_z[better] = z[better]
                history.append(best_err.min())
            if step == steps:
                break  # the last forward pass only scores the final iterate
            loss = pix
            if phi is not None:
                loss = loss + feature_weight * (phi(out, yy) - target_phi).pow(2).mean(1) / scale
            if prior_weight > 0:
                loss = loss + prior_weight * z.pow(2).mean(1)
            for group in opt.param_groups:
                group["lr"] = lr * 0.5 * (1 + math.cos(math.pi * step / max(steps, 1)))
            opt.zero_grad(set_to_none=True)
            loss.sum().backward()  # restarts are independent: the sum keeps their gradients apart
            opt.step()
            bar.update()
            if progress and step % 25 == 0:  # reading the value syncs a GPU: not every step
                bar.set_postfix(mse=f"{float(history[-1]):.5f}")

    k = int(best_err.argmin())
    z_best = best_z[k].cpu()
    image = generate(G, z_best[None], _y(y, 1))
    return InversionResult(
        z=z_best,
        image=image,
        mse=float(_pixel_mse(image, target)[0]),
        initial_mse=float(err0[order[0]]),
        history=[float(h) for h in torch.stack(history).cpu()],
    )


def _y(y: int | None, n: int) -> Tensor | None:
    return None if y is None else torch.full((n,), y, dtype=torch.long)


def comparison(target: Tensor, result: InversionResult) -> np.ndarray:
    """(H, W, C) uint8 figure: the target and G(z), enlarged, captioned."""
    images = to_uint8(torch.cat([target, result.image]))  # (2, C, H, W)
    rows = [[images[0], images[1]]]
    return compose(rows, captions=[["target", "inverted"]], scale=auto_scale(images.shape[-1], 96))
