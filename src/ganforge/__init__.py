"""ganforge: train, evaluate, explore and ship Generative Adversarial Networks.

The top-level import is light (no torch); the heavy pieces load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ganforge.version import __version__

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
    from ganforge.explore.hub_export import save_pretrained
    from ganforge.runs import from_pretrained, load_run
    from ganforge.tasks import Phase, PhaseLoss, Task, register_task
    from ganforge.train.trainer import Trainer

__all__ = [
    "Config",
    "Phase",
    "PhaseLoss",
    "Task",
    "Trainer",
    "__version__",
    "from_pretrained",
    "load_config",
    "load_run",
    "register_task",
    "save_pretrained",
    "train",
]

_LAZY = {
    "Config": "ganforge.config",
    "load_config": "ganforge.config",
    "load_run": "ganforge.runs",
    "from_pretrained": "ganforge.runs",
    "save_pretrained": "ganforge.explore.hub_export",
    "Trainer": "ganforge.train.trainer",
    "Task": "ganforge.tasks",
    "Phase": "ganforge.tasks",
    "PhaseLoss": "ganforge.tasks",
    "register_task": "ganforge.tasks",
}
"""Public names and the module each comes from, imported on first use."""


def __getattr__(name: str) -> Any:
    # Lazy attributes keep `import ganforge` (and `ganforge presets`) fast: no torch until used.
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ganforge' has no attribute {name!r}")


def train(config: Config | str = "dcgan-fashion-mnist", **overrides: Any):
    """Train any task from a Config or a preset name; returns the finished Trainer.

    ``overrides`` are dotted keys, e.g. ``train(\"wgangp-fashion-mnist\", **{\"train.images\": 2e5})``;
    they apply to a Config object too (a changed copy is trained, ``config`` is left as it was).
    Like ``ganforge train``, it writes report.html when the run finishes (``train.report``).
    """
    # Imported on call: `import ganforge` stays free of torch.
    from ganforge.config import Config, apply_overrides, config_from_dict, load_config
    from ganforge.report.html import report_on_finish
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
    trainer.fit(report_on_finish(str(trainer.device)) if cfg.train.report else None)
    return trainer
