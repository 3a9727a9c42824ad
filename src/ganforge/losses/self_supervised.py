"""The self-supervised reconstruction loss of a discriminator with decoders, a small pure function.

FastGAN (Liu et al. 2021, "Towards Faster and Stabilized GAN Training for High-fidelity Few-shot
Image Synthesis", arXiv:2101.04775, section 3.2, eq. 3) regularises D by asking small decoders to
rebuild real images from D's own intermediate features: L_recons = E_f[|G(f) - T(x)|], f D's
features of a real image x, G a decoder and T the matching crop or resize of x. D is then trained
on L_adv + L_recons; the paper finds this keeps D's features informative on few-shot data where an
ordinary D overfits and collapses.

The paper's |.| is LPIPS (a VGG or AlexNet perceptual distance). Here it is a pixel MSE (or L1):

- LPIPS needs network weights that ganforge cannot fetch, and would cost a second frozen CNN pass
  in every D step, at 64 px as much as D itself on a CPU;
- what the regulariser needs is that D's features carry enough of the image to rebuild it, which a
  pixel loss asks for as well; the perceptual distance mostly sharpens the reconstructions, which
  are never shown; lucidrains/lightweight-gan, the best-known FastGAN reimplementation, also uses
  an MSE for the same loss;
- the targets are low-resolution (a whole image at 1/2 to 1/4 of its size, a quadrant at most at
  its own size), where a pixel loss and a perceptual one disagree least.

The FastGAN discriminator (models/fastgan.py) returns the reconstructions and their targets; the
task adds the weighted result to D's adversarial loss on real images only.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor

METRICS = ("mse", "l1")


def decoder_reconstruction(
    recons: Sequence[Tensor], targets: Sequence[Tensor], metric: str = "mse"
) -> Tensor:
    """Sum over the decoders of the mean per-pixel error between reconstruction and target.

    ``recons[i]`` and ``targets[i]`` have the same shape (B, C, h, w); FastGAN has two pairs (the
    whole image, one quadrant), which the paper sums. Computed in float32 so a bf16 forward does
    not round the error away. ``metric``: "mse" (E (r - t)^2) or "l1" (E |r - t|).
    """
    if metric not in METRICS:
        raise ValueError(f"unknown reconstruction metric {metric!r}; choose from mse, l1")
    if len(recons) != len(targets) or not recons:
        raise ValueError(
            f"need one target per reconstruction, got {len(recons)} and {len(targets)}"
        )
    total = None
    for r, t in zip(recons, targets):
        if r.shape != t.shape:
            raise ValueError(f"reconstruction {tuple(r.shape)} and target {tuple(t.shape)} differ")
        err = r.float() - t.float()
        term = err.pow(2).mean() if metric == "mse" else err.abs().mean()
        total = term if total is None else total + term
    return total
