"""ganforge: train, evaluate, explore and ship Generative Adversarial Networks.

The top-level import is light (no torch); the heavy pieces load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

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

    ``overrides`` are dotted keys, e.g. ``train(\"wgangp-fashion-mnist\", **{\"train.images\": 2e5})``.
    """
    from ganforge.config import load_config
    from ganforge.train.trainer import Trainer

    cfg = load_config(config, overrides) if isinstance(config, str) else config
    trainer = Trainer(cfg)
    trainer.fit()
    return trainer
