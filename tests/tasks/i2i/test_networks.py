"""tasks/i2i/networks.py: the generator table of the image-to-image tasks and the paper defaults of
their depth and blocks."""

import pytest
import torch

from ganforge.config import load_config
from ganforge.models.cyclegan import ResnetGenerator
from ganforge.models.srresnet import SRResNet
from ganforge.models.unet import UNetGenerator
from ganforge.tasks.i2i.networks import build_i2i_generator, g_blocks, unet_depth


def _cfg(**over):
    return load_config("pix2pix-edges2fashion", {"model.g_width": 2, **over})


def test_unet_depth_defaults_to_a_1x1_bottleneck():
    assert unet_depth(_cfg(**{"data.resolution": 32})) == 5
    assert unet_depth(_cfg(**{"data.resolution": 256})) == 8
    assert unet_depth(_cfg(**{"data.resolution": 256, "i2i.unet_depth": 3})) == 3


@pytest.mark.parametrize(
    "generator,res,blocks,want",
    [
        ("srresnet", 96, 0, 16),  # Ledig et al. 2017
        ("resnet", 256, 0, 9),  # Zhu et al. 2017: 9 blocks at 256 px
        ("resnet", 128, 0, 6),  # and 6 below
        ("resnet", 256, 2, 2),
        ("srresnet", 96, 3, 3),
    ],
)
def test_residual_blocks_follow_the_papers_unless_set(generator, res, blocks, want):
    assert g_blocks(_cfg(**{"data.resolution": res, "i2i.g_blocks": blocks}), generator) == want


def test_each_name_builds_its_module_with_the_configs_settings():
    cfg = _cfg(**{"data.channels": 3, "data.resolution": 32, "i2i.unet_depth": 3})
    unet = build_i2i_generator(cfg, "unet", "batch")
    assert type(unet) is UNetGenerator and unet.multiple == 8
    resnet = build_i2i_generator(_cfg(**{"i2i.g_blocks": 2}), "resnet", "instance")
    assert type(resnet) is ResnetGenerator
    sr = build_i2i_generator(_cfg(**{"i2i.g_blocks": 1, "i2i.scale": 2}), "srresnet", "batch")
    assert type(sr) is SRResNet
    with torch.no_grad():
        assert unet.eval()(torch.zeros(1, 3, 32, 32)).shape == (1, 3, 32, 32)
        assert sr.eval()(torch.zeros(1, 1, 5, 5)).shape == (1, 1, 10, 10)
