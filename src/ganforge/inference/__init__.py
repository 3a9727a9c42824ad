"""What a trained model is used as. Tasks build these from a checkpoint (``Task.open``); the
commands, evaluation, exploration and export use them by the uses they declare, without knowing
which task trained them.

    uses.py         InferenceModel: the declared uses (sample, class, text, translate, upscale,
                    inpaint, encode) and their inputs; ``require`` for commands
    export_spec.py  ExportSpec: what an exported graph takes and gives
    noise.py        NoiseGenerator: G(z, y) with its classes and sample shape
    translator.py   Translator: one direction of an image-to-image generator, padding and tiling
    inpainter.py    Inpainter: an inpainting generator, image and mask in, any size
"""

from ganforge.inference.export_spec import ExportSpec
from ganforge.inference.inpainter import Inpainter
from ganforge.inference.noise import NoiseGenerator
from ganforge.inference.translator import Translator
from ganforge.inference.uses import USES, InferenceModel

__all__ = ["USES", "ExportSpec", "InferenceModel", "Inpainter", "NoiseGenerator", "Translator"]
