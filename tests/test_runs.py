import pytest
import torch

from ganforge.config import load_config
from ganforge.errors import GanforgeError
from ganforge.runs import load_run
from ganforge.train.trainer import Trainer
from helpers import tiny_overrides


@pytest.fixture
def trained(tmp_path, tiny_data):
    cfg = load_config("dcgan-fashion-mnist", tiny_overrides(tmp_path))
    return Trainer(cfg, data=tiny_data).fit()


def test_load_run_rebuilds_the_ema_generator(trained):
    run = load_run(trained.run_dir)
    assert run.used_ema and run.images_seen == trained.images_seen
    z = torch.randn(4, run.z_dim)
    expected = trained.ema["G"].model.eval()(z)
    assert torch.allclose(run.G(z), expected)
    raw = load_run(trained.run_dir, ema=False)
    assert torch.allclose(raw.G(z), trained.task.G.eval()(z))
    assert load_run(run.checkpoint).checkpoint == run.checkpoint


def test_load_run_rejects_what_is_not_a_run(tmp_path, trained):
    with pytest.raises(GanforgeError, match="does not exist"):
        load_run(tmp_path / "nope")
    with pytest.raises(GanforgeError, match="not a ganforge run folder"):
        load_run(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "config.yaml").write_text((trained.run_dir / "config.yaml").read_text())
    with pytest.raises(GanforgeError, match="no checkpoint yet"):
        load_run(other)
    with pytest.raises(GanforgeError, match="not found"):
        load_run(trained.run_dir, checkpoint="ckpt-9.safetensors")
    cfg = (trained.run_dir / "config.yaml").read_text().replace("g_width: 8", "g_width: 16")
    (trained.run_dir / "config.yaml").write_text(cfg)
    with pytest.raises(GanforgeError, match="does not match"):
        load_run(trained.run_dir)
