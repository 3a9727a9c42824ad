"""What a trained model is used as: a ``NoiseGenerator`` (noise -> samples) or a ``Translator``
(image -> image). Tasks build these from a checkpoint (``Task.open``); the commands, evaluation,
exploration and export use them without knowing which task trained them.

    noise.py       NoiseGenerator: G(z, y) with its classes and sample shape
    translator.py  Translator: one direction of an image-to-image generator, padding and tiling
"""

from ganforge.inference.noise import NoiseGenerator
from ganforge.inference.translator import Translator

__all__ = ["NoiseGenerator", "Translator"]
