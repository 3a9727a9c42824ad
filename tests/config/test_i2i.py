"""config/i2i.py: the image-to-image section's own checks (one line each) and its paper defaults."""

import pytest

from ganforge.config import I2IConfig
from ganforge.config.i2i import PAPER_DEFAULT
from ganforge.errors import GanforgeError


def test_the_defaults_are_the_papers():
    cfg = I2IConfig()
    assert (cfg.lambda_l1, cfg.lambda_cycle, cfg.lambda_identity) == (100.0, 10.0, 0.5)
    assert (cfg.pool_size, cfg.d_layers, cfg.dropout, cfg.scale) == (50, 3, 0.5, 4)
    assert cfg.adv_weight == PAPER_DEFAULT == -1  # the task decides (tasks/i2i)


@pytest.mark.parametrize(
    "over,message",
    [
        ({"generator": "unnet"}, r"^i2i\.generator='unnet' is not one of .*did you mean 'unet'"),
        ({"norm": "layer"}, r"^i2i\.norm='layer' is not one of auto, batch, instance$"),
        ({"direction": "AB"}, r"^i2i\.direction='AB' is not one of AtoB, BtoA"),
        ({"fit": "stretch"}, r"^i2i\.fit='stretch' is not one of crop, pad"),
        (
            {"content_loss": "lpips"},
            r"^i2i\.content_loss='lpips' is not one of vgg, l1, mse, dfeat",
        ),
        ({"sr_crops": "tiles"}, r"^i2i\.sr_crops='tiles' is not one of native, resize"),
        ({"adv_weight": -2.0}, r"^i2i\.adv_weight=-2\.0 must be >= 0 \(or -1: the task's paper"),
        ({"dropout": 1.0}, r"^i2i\.dropout=1\.0 must be in \[0, 1\)$"),
        ({"lambda_l1": -1.0}, r"^i2i\.lambda_l1=-1\.0 must be >= 0$"),
        ({"lambda_cycle": 2e6}, r"^i2i\.lambda_cycle=2000000\.0 must be at most 1e\+06$"),
        ({"scale": 3}, r"^i2i\.scale=3 must be 2, 4 or 8$"),
        ({"g_blocks": -1}, r"^i2i\.g_blocks=-1 must be >= 0 \(0: the default\)$"),
        ({"unet_depth": 13}, r"^i2i\.unet_depth=13 must be at most 12 \(0: the default\)$"),
        ({"pool_size": -5}, r"^i2i\.pool_size=-5 must be >= 0 \(0: no pool\)$"),
        ({"d_layers": 0}, r"^i2i\.d_layers=0 must be at least 1$"),
    ],
)
def test_each_value_is_checked_on_its_own(over, message):
    with pytest.raises(GanforgeError, match=message):
        I2IConfig(**over)


def test_the_edges_of_each_range_are_accepted():
    I2IConfig(adv_weight=0.0, dropout=0.0, g_blocks=0, pool_size=0, d_layers=1, scale=8)
    I2IConfig(adv_weight=PAPER_DEFAULT, unet_depth=12, lambda_identity=0.0, load_size=1 << 16)
