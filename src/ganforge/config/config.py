"""The run config: one typed dataclass per section, and the sections plug-in tasks add.

``Config`` holds the sections every run has (``sections.py``), the image-to-image tasks' ``i2i``
section, the modern GAN's ``r3gan`` section and the discriminator augmentation's ``augment``
section. A plug-in task may bring a
section of its own: ``register_section(name, dataclass)`` (done for it by
``ganforge.tasks.register_task``) makes ``name:`` a valid top-level key of presets, config files
and ``--set name.key=value``; its value lives in ``Config.extra`` and reads as ``cfg.name``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import yaml

from ganforge.config.augment import AugmentConfig
from ganforge.config.i2i import I2IConfig
from ganforge.config.r3gan import R3GANConfig
from ganforge.config.sections import (
    DataConfig,
    LossConfig,
    ModelConfig,
    OptimConfig,
    RuntimeConfig,
    TrainConfig,
)
from ganforge.errors import GanforgeError

SECTIONS: dict[str, type] = {}
"""Config sections added by plug-in tasks: top-level key -> its dataclass."""


def register_section(name: str, cls: type) -> None:
    """Make ``name`` a config section read into dataclass ``cls`` (a plug-in task's settings)."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"config section {name!r} must be a dataclass, got {cls!r}")
    builtin = {f.name for f in dataclasses.fields(Config)}
    if name in builtin or not name.isidentifier():
        raise ValueError(f"config section name {name!r} is taken or not an identifier")
    if SECTIONS.get(name, cls) is not cls:
        raise ValueError(f"config section {name!r} is already registered by another class")
    SECTIONS[name] = cls


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
    i2i: I2IConfig = field(default_factory=I2IConfig)
    r3gan: R3GANConfig = field(default_factory=R3GANConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    extra: dict[str, Any] = field(default_factory=dict)
    """Plug-in sections by name (written as top-level keys, not under ``extra``)."""

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
                raise GanforgeError(f"config section {key!r} is not a registered plug-in section")

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not fields: a plug-in section reads as cfg.<name>.
        extra = self.__dict__.get("extra", {})
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
