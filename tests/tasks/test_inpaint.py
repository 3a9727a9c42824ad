"""tasks/inpaint.py: the inpainting task on the Trainer: masks on the fly, the discriminator per
mask kind, a short demo run that fills holes better than the mean, exact resume."""

import pytest
import torch

from ganforge.config import load_config
from ganforge.errors import GanforgeError
from ganforge.masks.bands import band_masks
from ganforge.metrics.inpainting import hole_mse, mean_fill, set_psnr
from ganforge.models.inpainting_discriminators import (
    GlobalLocalDiscriminator,
    SNPatchDiscriminator,
)
from ganforge.runs import load_run
from ganforge.tasks import check_config, load_task_data
from ganforge.tasks.inpaint import InpaintTask
from ganforge.train import checkpoint as ckpt
from ganforge.train.trainer import Trainer
from helpers import random_images
from tiny_inpaint import TINY


def _task(**over):
    cfg = load_config(
        "inpaint-fashion", {"data.resolution": 16, "model.g_width": 4, "model.d_width": 4, **over}
    )
    check_config(cfg)
    data = random_images(64, channels=1, size=16)
    return InpaintTask(cfg, data, torch.device("cpu"), "fp32")


def test_batches_carry_masks_in_the_configured_band_and_their_boxes():
    task = _task(**{"inpaint.mask_kind": "rectangles", "inpaint.mask_pool": 0})
    g = torch.Generator().manual_seed(0)
    x, mask, boxes = task.make_batch(task.draw(), g)
    assert x.shape == (32, 1, 16, 16) and mask.shape == (32, 1, 16, 16) and boxes.shape == (32, 4)
    share = mask.flatten(1).mean(1)
    assert share.min() >= 0.1 and share.max() <= 0.6  # rectangles meet the band exactly
    for m, (y0, x0, y1, x1) in zip(mask[:, 0], boxes.tolist()):  # each box is the hole
        assert m[y0:y1, x0:x1].all() and m.sum() == (y1 - y0) * (x1 - x0)
    again = task.make_batch(task.sampler.next(), torch.Generator().manual_seed(0))[1]
    assert torch.equal(again, mask)  # the masks come from the run's generator alone


def test_mixed_masks_hold_both_kinds_and_the_pool_serves_them():
    task = _task(**{"inpaint.mask_pool": 64})
    assert task.pool is not None and len(task.pool) == 64
    _, mask, boxes = task.make_batch(task.draw(), torch.Generator().manual_seed(1))
    box_area = ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])).float()
    filled = mask.flatten(1).sum(1) == box_area  # a rectangle fills its box; strokes do not
    assert filled.any() and (~filled).any()


def test_the_discriminator_follows_the_mask_kind_unless_set():
    assert isinstance(_task(**{"inpaint.mask_kind": "rectangles"}).D, GlobalLocalDiscriminator)
    assert isinstance(_task(**{"inpaint.mask_kind": "strokes"}).D, SNPatchDiscriminator)
    assert isinstance(_task(**{"inpaint.mask_kind": "mixed"}).D, SNPatchDiscriminator)
    set_ = _task(**{"inpaint.mask_kind": "strokes", "inpaint.discriminator": "global-local"})
    assert isinstance(set_.D, GlobalLocalDiscriminator)


def test_one_step_of_each_phase_updates_and_logs_the_missing_share():
    task = _task(**{"inpaint.mask_pool": 0, "inpaint.mask_kind": "strokes"})
    g = torch.Generator().manual_seed(2)
    batch = task.make_batch(task.draw(), g)
    d = task.d_loss(batch, g, True, None)
    out = task.g_loss(batch, g, True, d.carry)
    assert d.carry is not None and out.loss.requires_grad
    assert float(out.scalars["missing"]) == pytest.approx(float(batch[1].mean()))
    assert torch.isfinite(out.scalars["hole_psnr"]) and float(out.scalars["rec"]) > 0


@pytest.mark.parametrize(
    "over,match",
    [
        ({"data.resolution": 18}, "divisible by 4"),
        ({"inpaint.generator": "partial", "inpaint.unet_depth": 5}, r"2\^inpaint.unet_depth"),
        ({"train.eval_every": 1000}, "train.eval_every=0"),
        ({"loss.gp_weight": 10.0}, "does not use loss.gp_weight"),
        ({"inpaint.d_layers": 6}, "below one pixel"),
        ({"data.source": "toy-ring"}, "cannot be a toy set"),
    ],
)
def test_configs_it_cannot_train_are_refused_in_one_line(over, match):
    cfg = load_config("inpaint-fashion", {"data.resolution": 16, **over})
    with pytest.raises(GanforgeError, match=match):
        check_config(cfg)


def test_a_short_demo_run_fills_holes_better_than_the_mean(tmp_path):
    """About a minute of CPU: the embedded split's first 2,000 images, 6,400 images seen; scored
    on 400 images it did not see, with the evaluation's 20-40 % stroke and rectangle masks."""
    over = {
        **TINY,
        "data.resolution": 32,
        "data.max_images": 2000,
        "model.g_width": 8,
        "model.d_width": 16,
        "inpaint.dilations": [2, 4],
        "inpaint.mask_pool": 256,
        "train.batch_size": 32,
        "train.images": 6400,
        "train.log_every": 640,
        "train.sample_every": 6400,
        "train.checkpoint_every": 6400,
        "out_dir": str(tmp_path),
    }
    run = Trainer(load_config("inpaint-fashion", over)).fit().run_dir
    model = load_run(run).require("inpaint")
    cfg = load_config("inpaint-fashion", {"data.split": "test", "data.resolution": 32})
    images = load_task_data(cfg).images[5000:5400]  # not among the 2,000 trained on
    from ganforge.inference.inpainter import inpaint_batch

    for kind in ("strokes", "rectangles"):
        masks = band_masks(kind, "20-40", len(images), (32, 32), seed=0)
        ours = set_psnr(hole_mse(inpaint_batch(model, images, masks), images, masks))
        mean = set_psnr(hole_mse(mean_fill(images, masks), images, masks))
        assert ours > mean + 1.0, (kind, float(ours), float(mean))


def _tensors(run):
    state = ckpt.load(ckpt.list_checkpoints(run / "checkpoints")[-1])
    flat = {}
    for group in ("nets", "ema"):
        for net, sd in state.get(group, {}).items():
            flat.update({f"{group}.{net}.{k}": v for k, v in sd.items()})
    for opt, sd in state["optim"].items():
        for pid, st in sd["state"].items():
            flat.update({f"optim.{opt}.{pid}.{k}": v for k, v in st.items()})
    return flat


@pytest.mark.parametrize("kind,pool", [("mixed", 64), ("rectangles", 0)])
def test_resume_is_bit_identical(kind, pool, tmp_path):
    over = {**TINY, "inpaint.mask_kind": kind, "inpaint.mask_pool": pool}
    over.update({"train.images": 64, "train.checkpoint_every": 32, "train.ema_halflife": 100})
    straight = Trainer(load_config("inpaint-fashion", {**over, "out_dir": str(tmp_path / "a")}))
    straight.fit()
    half = Trainer(
        load_config("inpaint-fashion", {**over, "train.images": 32, "out_dir": str(tmp_path / "b")})
    ).fit()
    Trainer.resume(half.run_dir, {"train.images": 64}).fit()
    a, b = _tensors(straight.run_dir), _tensors(half.run_dir)
    assert a.keys() == b.keys() and any(k.startswith("ema.G") for k in a)
    assert all(torch.equal(a[k], b[k]) for k in a), [k for k in a if not torch.equal(a[k], b[k])]
    header, *rows = (half.run_dir / "metrics.csv").read_text().splitlines()
    assert "missing" in header.split(",") and "hole_psnr" in header.split(",")
    col = header.split(",").index("missing")
    assert all(0.1 <= float(r.split(",")[col]) <= 0.6 for r in rows)
