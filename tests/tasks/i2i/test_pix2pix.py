"""tasks/i2i/pix2pix.py: pix2pix (Isola et al. 2017) on the Trainer: its sample grid, its
fidelity columns and its loss (cGAN + lambda L1, D's objective halved)."""

import torch
from PIL import Image

from ganforge.config import load_config
from ganforge.data.i2i.domains import TwoDomainData
from ganforge.tasks import load_task_data
from ganforge.tasks.i2i.pix2pix import Pix2PixTask
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
PIX2PIX = {**TINY, "data.max_images": 200, "i2i.load_size": 20, "i2i.unet_depth": 4}


def _run(preset, over, tmp_path, data=None):
    cfg = load_config(preset, {**over, "out_dir": str(tmp_path / "runs")})
    data = data if data is not None else load_task_data(cfg)
    return Trainer(cfg, data=data), data


def test_pix2pix_grid_and_fidelity_columns(tmp_path):
    t, _ = _run("pix2pix-edges2fashion", PIX2PIX, tmp_path)
    t.fit()
    header, *rows = (t.run_dir / "metrics.csv").read_text().splitlines()
    last = dict(zip(header.split(","), rows[-1].split(",")))
    assert float(last["psnr"]) > 0 and -1 <= float(last["ssim"]) <= 1 and float(last["l1"]) > 0
    grid = Image.open(sorted((t.run_dir / "samples").glob("fakes-*.png"))[-1])
    assert grid.size == (6 * 18 + 2, 2 * 18 + 2)  # 2 examples of input | output | target a row


def _pairs(n=8, size=16):
    g = torch.Generator().manual_seed(0)
    a, b = (torch.randint(0, 256, (n, 1, size, size), generator=g).to(torch.uint8) for _ in "ab")
    return TwoDomainData(b, None, 0, "pairs", sources=a, paired=True)


def test_the_losses_are_the_papers_halved_d_and_cgan_plus_lambda_l1():
    over = {"data.resolution": 16, "model.g_width": 2, "model.d_width": 2, "i2i.unet_depth": 3}
    cfg = load_config("pix2pix-edges2fashion", {**over, "train.batch_size": 4})
    task = Pix2PixTask(cfg, _pairs(), torch.device("cpu"))
    gen = torch.Generator().manual_seed(0)
    a, b = task.make_batch(task.draw(), gen)
    assert a.shape == b.shape == (4, 1, 16, 16)
    d = task.d_loss((a, b), gen, False, None)
    assert torch.equal(d.loss, 0.5 * d.scalars["d_loss"])  # "we divide the objective by 2"
    fake = d.carry
    assert fake is not None and fake.requires_grad  # carried, with its graph, to the G step
    g = task.g_loss((a, b), gen, True, fake)
    torch.testing.assert_close(g.loss, 1.0 * g.scalars["g_adv"] + 100.0 * g.scalars["l1"])
    torch.testing.assert_close(g.scalars["l1"], (fake - b).abs().mean())
    assert {"psnr", "ssim"} <= set(g.scalars)  # measured at log steps only
    assert "psnr" not in task.g_loss((a, b), gen, False, None).scalars  # no carry: G runs again
