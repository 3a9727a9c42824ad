"""Reconstruction and content losses of the image-to-image models, as small pure functions.

Each returns a scalar mean; the tasks weight and sum them and the trainer owns backward.

- ``l1``: pix2pix's L1 term, lambda * E|y - G(x)|_1 (Isola et al. 2017, eq. 3; lambda = 100, sec. 4):
  "L1 encourages less blurring than L2" and captures low frequencies, leaving the rest to D.
- ``cycle``: CycleGAN's cycle-consistency loss (Zhu et al. 2017, eq. 2),
  E|F(G(x)) - x|_1 + E|G(F(y)) - y|_1, weighted by lambda = 10 (sec. 4).
- ``identity``: CycleGAN's identity mapping loss (sec. 5.2, after Taigman et al. 2017),
  E|G(y) - y|_1 + E|F(x) - x|_1, weighted by 0.5 lambda: keeps colours when they need not change.
- ``mse``: SRResNet's pixel-wise MSE (Ledig et al. 2017, eq. 4), also its pre-training loss.
- ``feature_mse``: the MSE between two feature maps: SRGAN's VGG content loss (eq. 5) on VGG19
  features, or the discriminator-feature variant that needs no downloaded network.
"""

from __future__ import annotations

from torch import Tensor


def l1(fake: Tensor, target: Tensor) -> Tensor:
    """E|target - fake|_1, averaged over pixels and samples."""
    return (fake - target).abs().mean()


def cycle(real_a: Tensor, rec_a: Tensor, real_b: Tensor, rec_b: Tensor) -> Tensor:
    """E|F(G(a)) - a|_1 + E|G(F(b)) - b|_1."""
    return l1(rec_a, real_a) + l1(rec_b, real_b)


def identity(real_a: Tensor, same_a: Tensor, real_b: Tensor, same_b: Tensor) -> Tensor:
    """E|F(a) - a|_1 + E|G(b) - b|_1: each generator fed its own output domain leaves it alone."""
    return l1(same_a, real_a) + l1(same_b, real_b)


def mse(fake: Tensor, target: Tensor) -> Tensor:
    """E (target - fake)^2."""
    return (fake - target).pow(2).mean()


def feature_mse(fake_features: Tensor, real_features: Tensor, scale: float = 1.0) -> Tensor:
    """scale^2 * E (phi(real) - phi(fake))^2; SRGAN rescales VGG features by 1/12.75 (sec. 3.2)."""
    return mse(fake_features * scale, real_features * scale)
