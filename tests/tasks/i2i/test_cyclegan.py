"""tasks/i2i/cyclegan.py: CycleGAN (Zhu et al. 2017) on the Trainer: its losses, its log columns,
its sample grid and the direction each of its generators maps."""

import torch
from PIL import Image

from ganforge.config import load_config
from ganforge.data.i2i.domains import TwoDomainData
from ganforge.tasks import load_task_data
from ganforge.tasks.i2i.cyclegan import CycleGANTask
from ganforge.train.trainer import Trainer

TINY = {
    "data.split": "test",  # the embedded Fashion-MNIST split: always offline
    "data.resolution": 16,
    "model.g_width": 4,
    "model.d_width": 4,
    "train.batch_size": 8,
    "train.images": 32,
    "train.log_every": 8,
    "train.sample_every": 32,
    "train.checkpoint_every": 16,
    "train.grid_size": 4,
    "runtime.progress": False,
    "runtime.tensorboard": False,
}
CYCLEGAN = {**TINY, "data.max_images": 600, "i2i.g_blocks": 1, "i2i.pool_size": 6}

# metrics.csv of the adversarial tasks, unchanged since the first release (resumed runs append
# rows under the header they started with).
COLUMNS = [
    "images",
    "iterations",
    "d_loss",
    "g_loss",
    "d_real",
    "d_fake",
    "gp",
    "r1",
    "d_grad_norm",
    "g_grad_norm",
    "lr_g",
    "lr_d",
    "img_per_s",
    "wall_s",
]


def _run(preset, over, tmp_path, data=None):
    cfg = load_config(preset, {**over, "out_dir": str(tmp_path / "runs")})
    data = data if data is not None else load_task_data(cfg)
    return Trainer(cfg, data=data), data


def test_cyclegan_logs_its_losses_and_draws_four_columns_of_reconstructions(tmp_path):
    t, _ = _run("cyclegan-fashion", CYCLEGAN, tmp_path)
    t.fit()
    header, *rows = (t.run_dir / "metrics.csv").read_text().splitlines()
    names = header.split(",")
    assert names[: len(COLUMNS)] == COLUMNS and {"cycle", "identity", "cycle_error"} <= set(names)
    last = dict(zip(names, rows[-1].split(",")))
    assert 0 < float(last["cycle_error"]) < 1 and float(last["d_loss"]) > 0
    # 4 examples, each a | G(a) | F(G(a)) | b | F(b) | G(F(b)): 4 rows of 6 tiles of 16 px
    grid = Image.open(sorted((t.run_dir / "samples").glob("fakes-*.png"))[-1])
    assert grid.size == (6 * 18 + 2, 4 * 18 + 2)
    assert set(t.task.nets) == {"G", "F", "D_Y", "D_X"}


def test_the_full_objective_and_the_cycle_error_in_0_1_units():
    g = torch.Generator().manual_seed(0)
    a = torch.randint(0, 256, (6, 1, 16, 16), generator=g).to(torch.uint8)
    b = torch.randint(0, 256, (9, 1, 16, 16), generator=g).to(torch.uint8)
    data = TwoDomainData(b, None, 0, "unpaired", sources=a, paired=False)
    over = {"data.resolution": 16, "model.g_width": 2, "model.d_width": 2, "i2i.g_blocks": 1}
    cfg = load_config("cyclegan-fashion", {**over, "train.batch_size": 3, "i2i.pool_size": 2})
    task = CycleGANTask(cfg, data, torch.device("cpu"))
    assert task.adv_weight == 2.0 and task.loss_name == "lsgan"  # the paper's (D - 1)^2
    assert set(task.nets) == {"G", "F", "D_Y", "D_X"} and task.ema_targets == ("G", "F")
    batch = task.make_batch(task.draw(), g)
    carried = task.d_loss(batch, g, False, None).carry
    out = task.g_loss(batch, g, False, carried)
    s = out.scalars
    want = 2.0 * s["g_adv"] + 10.0 * s["cycle"] + 0.5 * 10.0 * s["identity"]
    torch.testing.assert_close(out.loss, want)
    torch.testing.assert_close(s["cycle_error"], s["cycle"] / 4)
    fixed = task.fixed_inputs(16, 0)
    assert fixed["a"].shape[0] == 6  # as many examples as the smaller domain has
    assert task.generate(task.nets, fixed).shape == (6 * 6, 1, 16, 16)  # six tiles an example
