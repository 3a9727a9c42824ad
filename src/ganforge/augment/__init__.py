"""Differentiable augmentation of the images a GAN discriminator sees: DiffAugment and ADA.

- DiffAugment: Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training"
  (arXiv 2006.10738); ``diffaugment.py``.
- ADA: Karras et al. 2020, "Training Generative Adversarial Networks with Limited Data"
  (arXiv 2006.06676); the pipeline in ``ada.py`` (matrices in ``matrices.py``, execution in
  ``warp.py`` and ``color.py``), the adaptive p in ``adaptive.py``.
- ``Augmenter`` (``augmenter.py``) is what the trainer uses, built from ``AugmentConfig``
  (``options.py``).
"""

from ganforge.augment.ada import AdaStrengths, ada_augment
from ganforge.augment.adaptive import AdaptiveP
from ganforge.augment.augmenter import Augmenter
from ganforge.augment.diffaugment import diff_augment
from ganforge.config.augment import AugmentConfig

__all__ = ["AdaStrengths", "AdaptiveP", "AugmentConfig", "Augmenter", "ada_augment", "diff_augment"]
