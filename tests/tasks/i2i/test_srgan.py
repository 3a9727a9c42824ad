"""tasks/i2i/srgan.py: SRGAN (Ledig et al. 2017) on the Trainer: MSE pre-training, then the
adversarial phase with the VGG content loss."""

import hashlib

import torch

from ganforge.config import load_config
from ganforge.data.dataset import ImageData
from ganforge.models import vgg19 as V
from ganforge.tasks import load_task_data
from ganforge.tasks.i2i.srgan import SRGANTask
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


def _run(preset, over, tmp_path, data=None):
    cfg = load_config(preset, {**over, "out_dir": str(tmp_path / "runs")})
    data = data if data is not None else load_task_data(cfg)
    return Trainer(cfg, data=data), data


def test_srgan_pretrains_then_trains_adversarially_with_vgg_features(tmp_path, monkeypatch):
    from ganforge.data.files.download import cache_dir

    # A locally built torchvision-format file stands in for the ImageNet weights.
    path = cache_dir() / "weights" / V.WEIGHTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    net = V.VGG19Features("2_2")
    torch.save({f"features.{k}": v for k, v in net.features.state_dict().items()}, path)
    monkeypatch.setattr(V, "WEIGHTS_SHA256", hashlib.sha256(path.read_bytes()).hexdigest())
    over = {
        **TINY,
        "data.max_images": 200,
        "i2i.g_blocks": 1,
        "i2i.content_loss": "vgg",
        "i2i.vgg_layer": "2_2",
        "i2i.pretrain_images": 32,
        "train.images": 64,
        "data.download": False,
    }
    t, _ = _run("srgan-fashion-x4", over, tmp_path)
    t.fit()
    header, *rows = (t.run_dir / "metrics.csv").read_text().splitlines()
    cols = [dict(zip(header.split(","), r.split(","))) for r in rows]
    assert [bool(c["d_loss"]) for c in cols] == [False] * 4 + [True] * 4  # MSE phase, then GAN
    assert all(float(c["content"]) > 0 for c in cols) and cols[-1]["g_adv"]
    assert t.task.images_seen == 64


def test_pretraining_skips_d_then_the_perceptual_loss_weights_the_adversarial_term():
    g = torch.Generator().manual_seed(0)
    hr = torch.randint(0, 256, (8, 1, 16, 16), generator=g).to(torch.uint8)
    data = ImageData(hr, None, 0, "photos")
    over = {"data.resolution": 16, "model.g_width": 2, "model.d_width": 2, "i2i.g_blocks": 1}
    cfg = load_config(
        "srgan-fashion-x4",
        {**over, "i2i.content_loss": "l1", "i2i.pretrain_images": 8, "train.batch_size": 4},
    )
    task = SRGANTask(cfg, data, torch.device("cpu"))
    assert task.adv_weight == 1e-3 and task.schedule_start == 8  # lr schedule after pretraining
    lr, hr_batch = task.make_batch(task.draw(), g)
    assert lr.shape == (4, 1, 4, 4) and hr_batch.shape == (4, 1, 16, 16)
    for _ in range(2):  # 8 images of pixel-MSE pretraining: no D update, G on MSE alone
        assert task.d_loss((lr, hr_batch), g, False, None) is None  # skipped: it carries nothing
        out = task.g_loss((lr, hr_batch), g, False, None)
        assert set(out.scalars) == {"g_loss", "content"}
        assert torch.equal(out.loss.detach(), out.scalars["content"])
    assert task.images_seen == 8
    d = task.d_loss((lr, hr_batch), g, False, None)
    assert d is not None and task.images_seen == 12 and d.carry.requires_grad
    out = task.g_loss((lr, hr_batch), g, True, d.carry)
    s = out.scalars
    torch.testing.assert_close(out.loss, s["content"] + 1e-3 * s["g_adv"])
    assert {"psnr", "ssim"} <= set(s)
