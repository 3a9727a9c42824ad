"""ganforge: train, evaluate, explore and ship Generative Adversarial Networks.

The top-level import is light (no torch); the heavy pieces load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# The subpackage ganforge.train (trainer, checkpoints) shares its name with the function train()
# below. Python binds a subpackage as an attribute of its parent when it is first imported, which
# would replace the function as soon as anything imported ganforge.train.*, train() itself
# included. Importing the (empty, light) subpackage here, before the function is defined, keeps
# ganforge.train the function for good. ``from ganforge.train.trainer import Trainer`` still works
# (it goes through sys.modules); attribute paths do not: write ``from ganforge.train import
# trainer``, not ``import ganforge.train.trainer as trainer``.
importlib.import_module("ganforge.train")

if TYPE_CHECKING:
    from ganforge.config import Config
    from ganforge.runs import load_run
    from ganforge.train.trainer import Trainer

__all__ = ["Config", "Trainer", "__version__", "load_config", "load_run", "train"]


def __getattr__(name: str) -> Any:
    # Lazy attributes keep `import ganforge` (and `ganforge presets`) fast.
    if name in ("Config", "load_config"):
        from ganforge import config

        return getattr(config, name)
    if name == "load_run":
        from ganforge.runs import load_run

        return load_run
    if name == "Trainer":
        from ganforge.train.trainer import Trainer

        return Trainer
    raise AttributeError(f"module 'ganforge' has no attribute {name!r}")


def train(config: Config | str = "dcgan-fashion-mnist", **overrides: Any):
    """Train a GAN from a Config or a preset name; returns the finished Trainer.

    ``overrides`` are dotted keys, e.g. ``train(\"wgangp-fashion-mnist\", **{\"train.images\": 2e5})``;
    they apply to a Config object too (a changed copy is trained, ``config`` is left as it was).
    """
    from ganforge.config import Config, apply_overrides, config_from_dict, load_config
    from ganforge.train.trainer import Trainer

    if isinstance(config, str):
        cfg = load_config(config, overrides)
    elif isinstance(config, Config):
        cfg = (
            config_from_dict(apply_overrides(config.to_dict(), overrides)) if overrides else config
        )
    else:
        raise TypeError(f"train() takes a Config or a preset name, not {type(config).__name__}")
    trainer = Trainer(cfg)
    trainer.fit()
    return trainer
