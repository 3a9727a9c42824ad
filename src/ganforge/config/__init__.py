"""Typed run configuration: dataclass sections with docstrings, YAML presets, dotted overrides.

The bottom layer of ganforge (it imports only ``ganforge.errors``): every other layer reads a
``Config``, none is read by it. Each value is checked on its own when the config is built; checks
that need a task, the data or the metrics are made by the layer that owns them (see
docs/architecture.md).

    sections.py   data, model, loss, optimizers, train, runtime
    i2i.py        the image-to-image tasks' section
    inpaint.py    the inpainting task's section
    text2image.py the text-to-image task's section
    r3gan.py      the modern GAN's section
    fastgan.py    the FastGAN recipe's section
    projected.py  the projected discriminator's section (any noise-to-image family)
    autoencoder.py the autoencoder family's section
    augment.py    the discriminator augmentation section
    config.py     the root Config, and the registered sections (built-in families', plug-ins')
    loading.py    presets, config files, --set overrides, the --help-config table
    checks.py     the one-line range and choice checks they share
"""

from ganforge.config.augment import AugmentConfig
from ganforge.config.autoencoder import AutoencoderConfig
from ganforge.config.config import SECTIONS, Config, register_section
from ganforge.config.fastgan import FastGANConfig
from ganforge.config.i2i import I2IConfig
from ganforge.config.inpaint import InpaintConfig
from ganforge.config.loading import (
    apply_overrides,
    config_from_dict,
    field_docs,
    from_dict,
    load_config,
    load_run_config,
    parse_override,
    preset_dict,
    preset_names,
)
from ganforge.config.projected import ProjectedConfig
from ganforge.config.r3gan import R3GANConfig
from ganforge.config.sections import (
    DataConfig,
    LossConfig,
    ModelConfig,
    OptimConfig,
    RuntimeConfig,
    TrainConfig,
)
from ganforge.config.text2image import Text2ImageConfig

# The built-in families' sections, registered as a plug-in's are (the tasks declare them too:
# Task.sections), here so that a config file naming them reads without importing the tasks.
register_section("augment", AugmentConfig)
register_section("autoencoder", AutoencoderConfig)
register_section("fastgan", FastGANConfig)
register_section("i2i", I2IConfig)
register_section("inpaint", InpaintConfig)
register_section("projected", ProjectedConfig)
register_section("r3gan", R3GANConfig)
register_section("text2image", Text2ImageConfig)

__all__ = [
    "SECTIONS",
    "AugmentConfig",
    "AutoencoderConfig",
    "Config",
    "DataConfig",
    "FastGANConfig",
    "I2IConfig",
    "InpaintConfig",
    "LossConfig",
    "ModelConfig",
    "OptimConfig",
    "ProjectedConfig",
    "R3GANConfig",
    "RuntimeConfig",
    "Text2ImageConfig",
    "TrainConfig",
    "apply_overrides",
    "config_from_dict",
    "field_docs",
    "from_dict",
    "load_config",
    "load_run_config",
    "parse_override",
    "preset_dict",
    "preset_names",
    "register_section",
]
