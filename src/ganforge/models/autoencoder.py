"""Autoencoders: the textbook MLP one, the DCGAN paper's denoising one, and a small conv variant.

- The tutorial autoencoder (Goodfellow, Bengio & Courville 2016, "Deep Learning", chapter 14; the
  784-32-784 model of F. Chollet's "Building Autoencoders in Keras", 2016): one ReLU code layer of
  n units between a flattened image and its reconstruction. ``MLPAutoencoder((1, 28, 28), [n])``.
- The de-duplication autoencoder of Radford, Metz & Chintala 2016, "Unsupervised Representation
  Learning with Deep Convolutional GANs" (arXiv:1511.06434), section 4.1.1: "a 3072-128-3072
  de-noising dropout regularized RELU autoencoder on 32x32 downsampled center-crops", whose code,
  binarised by thresholding the ReLU, is a semantic hash (Salakhutdinov & Hinton 2009, "Semantic
  hashing"). Denoising: the input is corrupted with Gaussian noise and the clean image is the target
  (Vincent et al. 2008, "Extracting and Composing Robust Features with Denoising Autoencoders");
  dropout on the code units (Srivastava et al. 2014, "Dropout", JMLR). ``denoising_autoencoder()``
  builds it, grey (1024-128-1024) or colour (3072-128-3072).
- ``ConvAutoencoder``: strided convolutions down to a 4x4-ish map, one linear ReLU code layer, and
  transposed convolutions back; the same interface (not yet compared with the MLP for hashing).

The interface every autoencoder here shares (images float (B, C, H, W) in [-1, 1], the model range):

    code = ae.encode(x)            # (B, code_dim), >= 0 (ReLU): thresholding at 0 is meaningful
    x_hat = ae.decode(code)        # (B, C, H, W) in [-1, 1] (Tanh)
    x_hat, code = ae(x)            # AutoencoderOutput; in training mode x is corrupted first and
                                   # dropout acts on the code before decoding; `code` is the
                                   # encoder's output before dropout
    noisy = ae.corrupt(x)          # x + N(0, noise_std^2), in any mode: the "noisy input" panel

The loss is the task's: the mean squared error of ``x_hat`` against the *clean* x. Noise and dropout
act only in training mode, so ``ae.eval()`` gives deterministic codes for hashing
(``ganforge.metrics.near_duplicates.binarize``). No batch norm: train and eval differ by noise and
dropout alone, and a code does not depend on the other images of its batch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import Tensor, nn

from ganforge.errors import GanforgeError


class AutoencoderOutput(NamedTuple):
    reconstruction: Tensor  # (B, C, H, W) in [-1, 1]
    code: Tensor  # (B, code_dim) >= 0, before dropout


class Autoencoder(nn.Module):
    """What every autoencoder here shares: corruption, code dropout and ``forward``.

    Subclasses build ``encoder`` (image -> ReLU code) and ``decoder`` (code -> Tanh image).
    """

    encoder: nn.Module
    decoder: nn.Module

    def __init__(
        self,
        in_shape: Sequence[int],
        code_dim: int,
        noise_std: float,
        dropout: float,
    ) -> None:
        super().__init__()
        if code_dim < 1:
            raise GanforgeError(f"an autoencoder needs a code of at least 1 unit, got {code_dim}")
        if noise_std < 0:
            raise GanforgeError(f"the input noise std must be >= 0, got {noise_std}")
        if not 0 <= dropout < 1:
            raise GanforgeError(f"the code dropout must be in [0, 1), got {dropout}")
        self.in_shape = tuple(int(s) for s in in_shape)
        self.code_dim = int(code_dim)
        self.noise_std = float(noise_std)
        self.code_dropout = nn.Dropout(dropout)

    def corrupt(self, x: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """x + N(0, noise_std^2) per pixel, in model units, whatever the mode (figures use it).

        Not clamped: the denoising criterion of Vincent et al. is defined for additive noise, and a
        clamp would make the noise depend on the pixel (none added to saturated black background).
        """
        if self.noise_std == 0:
            return x
        noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        return x + self.noise_std * noise

    def encode(self, x: Tensor) -> Tensor:
        """(B, *in_shape) -> (B, code_dim) ReLU code, never corrupted (see ``forward``)."""
        return self.encoder(x)

    def decode(self, code: Tensor) -> Tensor:
        """(B, code_dim) -> (B, *in_shape) in [-1, 1]."""
        return self.decoder(code)

    def forward(self, x: Tensor) -> AutoencoderOutput:
        if self.training:
            x = self.corrupt(x)
        code = self.encode(x)  # (B, code_dim)
        return AutoencoderOutput(self.decode(self.code_dropout(code)), code)


class MLPAutoencoder(Autoencoder):
    """Flatten -> Linear/ReLU layers of ``hidden`` sizes (the last is the code) -> mirrored decoder.

    ``hidden=[n]`` is the tutorial's 784-n-784 at (1, 28, 28); ``[128]`` at (3, 32, 32) the DCGAN
    paper's 3072-128-3072. Works on any ``in_shape``, (2,) points included.
    """

    def __init__(
        self,
        in_shape: Sequence[int],
        hidden: Sequence[int] = (128,),
        noise_std: float = 0.0,
        dropout: float = 0.0,
    ) -> None:
        if not hidden:
            raise GanforgeError("an MLP autoencoder needs at least one hidden (code) layer")
        super().__init__(in_shape, hidden[-1], noise_std, dropout)
        sizes = [math.prod(self.in_shape), *hidden]  # e.g. 3072, 128
        enc: list[nn.Module] = [nn.Flatten()]
        for a, b in zip(sizes[:-1], sizes[1:]):
            enc += [nn.Linear(a, b), nn.ReLU()]
        dec: list[nn.Module] = []
        back = sizes[::-1]  # e.g. 128, 3072
        for i, (a, b) in enumerate(zip(back[:-1], back[1:])):
            dec.append(nn.Linear(a, b))
            dec.append(nn.Tanh() if i == len(back) - 2 else nn.ReLU())
        dec.append(nn.Unflatten(1, self.in_shape))
        self.encoder, self.decoder = nn.Sequential(*enc), nn.Sequential(*dec)


def denoising_autoencoder(
    channels: int = 3,
    resolution: int = 32,
    code_dim: int = 128,
    noise_std: float = 0.2,
    dropout: float = 0.1,
) -> MLPAutoencoder:
    """The DCGAN paper's de-duplication autoencoder (section 4.1.1): (C*R*R)-128-(C*R*R), ReLU code.

    The paper gives no noise level or dropout rate; the defaults, Gaussian noise of std 0.2 in
    [-1, 1] units (25/255) and dropout 0.1 on the code, are the settings of our prototype
    (benchmarks/dedup_prototype.py), where they found planted near copies in Fashion-MNIST. There a
    256-unit code separated near copies from distinct images far better than 128 units did.
    """
    return MLPAutoencoder((channels, resolution, resolution), [code_dim], noise_std, dropout)


def _downsamplings(height: int, width: int, most: int = 4) -> int:
    """How many stride-2 halvings keep both sides even and the map at least 4 pixels: 32 -> 4 in
    3, 28 -> 7 in 2, 64x96 -> 4x6 in 4."""
    n = 0
    while n < most and height % 2 == 0 and width % 2 == 0 and min(height, width) > 4:
        height, width, n = height // 2, width // 2, n + 1
    return n


class ConvAutoencoder(Autoencoder):
    """Conv(4, stride 2)/ReLU layers with widths w, 2w, 4w... -> Linear -> ReLU code of code_dim,
    and the mirror image with transposed convolutions and a Tanh output.

    In the DCGAN discriminator's shape (Radford et al. 2016) without batch norm, so that train and
    eval modes differ only by the denoising noise and the code dropout.
    """

    def __init__(
        self,
        in_shape: Sequence[int],
        code_dim: int = 128,
        width: int = 32,
        noise_std: float = 0.0,
        dropout: float = 0.0,
    ) -> None:
        super().__init__(in_shape, code_dim, noise_std, dropout)
        if len(self.in_shape) != 3:
            raise GanforgeError(f"a conv autoencoder needs (C, H, W) images, got {self.in_shape}")
        c, h, w = self.in_shape
        n = _downsamplings(h, w)
        widths = [width * 2**i for i in range(n)]  # e.g. 32, 64, 128
        bottom = (widths[-1] if n else c, h >> n, w >> n)  # e.g. (128, 4, 4)
        enc: list[nn.Module] = []
        for a, b in zip([c, *widths], widths):
            enc += [nn.Conv2d(a, b, 4, 2, 1), nn.ReLU()]
        enc += [nn.Flatten(), nn.Linear(math.prod(bottom), code_dim), nn.ReLU()]
        dec: list[nn.Module] = [nn.Linear(code_dim, math.prod(bottom)), nn.ReLU()]
        dec.append(nn.Unflatten(1, bottom))
        back = widths[::-1]  # e.g. 128, 64, 32
        for a, b in zip(back, [*back[1:], c]):
            dec += [nn.ConvTranspose2d(a, b, 4, 2, 1), nn.ReLU()]
        if n:
            dec[-1] = nn.Tanh()  # the last layer's output is the image
        else:  # too small to downsample: the linear layers alone
            dec.append(nn.Tanh())
        self.encoder, self.decoder = nn.Sequential(*enc), nn.Sequential(*dec)
