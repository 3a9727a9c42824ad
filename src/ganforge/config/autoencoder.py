"""The ``autoencoder`` section: the autoencoder family (``model.task=autoencoder``).

Two classic autoencoders share it (ganforge/models/autoencoder.py):

- the tutorial's MLP autoencoder, 784 -> n -> 784 on 28 px Fashion-MNIST (Goodfellow, Bengio &
  Courville 2016, chapter 14; Chollet 2016, "Building Autoencoders in Keras"): ``arch: mlp``,
  ``code: n``, no noise, no dropout;
- the DCGAN paper's de-duplication autoencoder (Radford et al. 2016, section 4.1.1), "a
  3072-128-3072 de-noising dropout regularized RELU autoencoder" on 32x32 crops: ``arch: mlp``,
  ``code: 128``, Gaussian input ``noise`` and code ``dropout`` (the paper gives neither value).

``center`` moves every image's centre of mass to the image centre before it is encoded, in
training and in use (``metrics/near_duplicates.center_by_mass``): a copy shifted by a pixel then
encodes like its source, which the semantic hash of ``ganforge dedup`` needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ganforge.config.checks import choice, number
from ganforge.errors import GanforgeError

MAX_CODE = 65_536
"""Largest code accepted (a sanity bound; the memory estimate refuses most models before)."""


@dataclass
class AutoencoderConfig:
    arch: str = "mlp"
    """mlp (flattened image -> Linear/ReLU layers -> code, mirrored back: the tutorial's and the
    DCGAN paper's) | conv (strided convolutions down to a small map, a linear ReLU code, transposed
    convolutions back)."""
    hidden: list[int] = field(default_factory=list)
    """MLP layers between the image and the code, e.g. [256]; empty: image -> code -> image."""
    code: int = 128
    """Units of the code (ReLU): the tutorial's n, the DCGAN paper's 128."""
    width: int = 32
    """Channels of the first convolution of arch=conv (doubling at each halving)."""
    noise: float = 0.0
    """Std of the Gaussian noise added to the input in training, in model units ([-1, 1]: 0.2 is
    25/255); the target stays the clean image (a denoising autoencoder, Vincent et al. 2008)."""
    dropout: float = 0.0
    """Dropout on the code units in training (Srivastava et al. 2014)."""
    center: bool = False
    """Centre every image by its mass before encoding, in training and in use (dedup of objects
    on a plain background: a 1 px shifted copy then hashes like its source)."""

    def __post_init__(self) -> None:
        choice(self.arch, ("mlp", "conv"), "autoencoder.arch")
        number(self.code, "autoencoder.code", 1, MAX_CODE, hint=" (units)")
        number(self.width, "autoencoder.width", 1, 8192)
        if len(self.hidden) > 16 or any(not 1 <= n <= MAX_CODE for n in self.hidden):
            raise GanforgeError(
                f"autoencoder.hidden={self.hidden} must list at most 16 sizes, each in "
                f"[1, {MAX_CODE:,}]"
            )
        number(self.noise, "autoencoder.noise", 0, 10, hint=" (std in [-1, 1] units)")
        number(self.dropout, "autoencoder.dropout", 0, 1, hi_open=True)
