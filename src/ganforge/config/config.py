"""The run config: one typed dataclass per section, and the sections tasks register.

``Config`` holds the sections every run has (``sections.py``: data, model, loss, the two
optimizers, train, runtime). The sections of particular model families (the image-to-image tasks'
``i2i``, R3GAN's ``r3gan``, the discriminator augmentation's ``augment``, a plug-in's own) are
registered: ``register_section(name, dataclass)`` (called for a task's declared ``sections`` by
``ganforge.tasks.register_task``; ganforge/config/__init__.py registers the built-in ones, so a
config file that names them reads without importing the tasks) makes ``name:`` a valid top-level
key of presets, config files and ``--set name.key=value``. Its value lives in ``Config.extra`` and
reads as ``cfg.name``; a registered section the config does not give reads as its defaults.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import yaml

from ganforge.config.sections import (
    DataConfig,
    LossConfig,
    ModelConfig,
    OptimConfig,
    RuntimeConfig,
    TrainConfig,
)
from ganforge.errors import GanforgeError
from ganforge.registry import Registry, owner_of

SECTIONS: Registry[type] = Registry("config section")
"""Registered config sections: top-level key -> its dataclass (built-in families' and plug-ins')."""


def register_section(name: str, cls: type) -> None:
    """Make ``name`` a config section read into dataclass ``cls`` (a task's own settings).
    Registering the same class again is fine; a name another class holds is refused."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"config section {name!r} must be a dataclass, got {cls!r}")
    core = {f.name for f in dataclasses.fields(Config)}
    if name in core or not name.isidentifier():
        raise ValueError(f"config section name {name!r} is a core section or not an identifier")
    SECTIONS.add(name, cls, owner_of(cls))


@dataclass
class Config:
    name: str = "dcgan-fashion-mnist"
    """Run name; the run folder is OUT_DIR/DATE-NAME."""
    description: str = ""
    """One line shown by `ganforge presets`."""
    out_dir: str = "runs"
    """Parent folder of run folders."""
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    g_optim: OptimConfig = field(default_factory=OptimConfig)
    d_optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    runtime: RuntimeConfig = field(default_factory=RuntimeConfig)
    extra: dict[str, Any] = field(default_factory=dict)
    """Registered sections by name (written as top-level keys, not under ``extra``)."""

    def __post_init__(self) -> None:
        self.g_optim.check("g_optim")
        self.d_optim.check("d_optim")
        if (
            not self.name.strip()
            or any(c in self.name for c in "/\\\0")
            or self.name in ("..", ".")
        ):
            raise GanforgeError(
                f"name={self.name!r} must be a plain run name (no slashes): it names the folder"
            )
        if not self.out_dir.strip() or "\0" in self.out_dir:
            raise GanforgeError("out_dir is empty: give the parent folder of run folders")
        if self.loss.clip > 0 and self.loss.gp_weight > 0:
            raise GanforgeError("loss.clip and loss.gp_weight are two alternatives: set one to 0")
        for key, value in self.extra.items():
            if SECTIONS.get(key) is not type(value):
                raise GanforgeError(f"config section {key!r} is not a registered section")

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not fields: a registered section reads as cfg.<name>,
        # with its defaults when the config does not give it.
        extra = self.__dict__.get("extra")
        if extra is None or name.startswith("__"):
            raise AttributeError(name)
        if name not in extra and name in SECTIONS:
            extra[name] = SECTIONS[name]()
        if name in extra:
            return extra[name]
        raise AttributeError(f"Config has no section or field {name!r}")

    def to_dict(self) -> dict[str, Any]:
        tree = {
            f.name: dataclasses.asdict(v) if dataclasses.is_dataclass(v) else v
            for f in dataclasses.fields(self)
            if f.name != "extra"
            for v in [getattr(self, f.name)]
        }
        tree.update({k: dataclasses.asdict(v) for k, v in self.extra.items()})
        return tree

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)
