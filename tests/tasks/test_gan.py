"""tasks/gan.py: the noise -> image GAN as a task: its phases, its batches, its config checks, its
checkpoint state, its sample inputs and how a checkpoint opens for inference."""

import pytest
import torch

from ganforge.config import load_config
from ganforge.data.loader import to_model_range
from ganforge.errors import GanforgeError
from ganforge.tasks.gan import GANTask
from helpers import one_iteration, random_images, toy_trainer, wrap_phase

SMALL = {"model.z_dim": 8, "model.g_width": 4, "model.d_width": 4, "train.batch_size": 32}


def _task(hflip: bool = False, **over) -> GANTask:
    cfg = load_config("dcgan-fashion-mnist", {**SMALL, "data.hflip": hflip, **over})
    return GANTask(cfg, random_images(n=64), torch.device("cpu"))


def test_an_iteration_is_n_critic_d_steps_then_one_g_step_with_d_frozen(tmp_path):
    trainer = toy_trainer(tmp_path, **{"train.n_critic": 3})
    task = trainer.task
    d, g = task.phases()
    assert (d.name, d.optimizer, d.repeats, d.fresh_batch, d.frozen) == ("D", "D", 3, True, ())
    assert (g.name, g.optimizer, g.repeats, g.fresh_batch, g.frozen) == ("G", "G", 1, False, ("D",))
    seen = {}

    def during_g(trainer):  # the G loss is computed: D's steps are all done, G's is not yet
        seen["d_steps"] = task.d_steps
        seen["d_frozen"] = not any(p.requires_grad for p in task.D.parameters())
        seen["D"] = [p.detach().clone() for p in task.D.parameters()]

    wrap_phase(trainer, "G", during_g)
    one_iteration(trainer)
    assert seen["d_steps"] == task.d_steps == 3
    assert seen["d_frozen"] and all(p.requires_grad for p in task.D.parameters())
    assert all(torch.equal(a, b) for a, b in zip(seen["D"], task.D.parameters()))  # G kept D


def test_make_batch_flips_only_with_data_hflip():
    plain = _task(hflip=False)
    idx = plain.draw()
    x, y = plain.make_batch(idx, torch.Generator().manual_seed(0))
    assert torch.equal(x, to_model_range(plain.data.images[idx]))  # no flip, whatever gen says
    assert torch.equal(y, plain.data.labels[idx])
    flipping = _task(hflip=True)
    want = to_model_range(flipping.data.images[idx])
    x1, _ = flipping.make_batch(idx, torch.Generator().manual_seed(0))
    flipped = [not torch.equal(a, b) for a, b in zip(x1, want)]
    for a, b, f in zip(x1, want, flipped):
        assert torch.equal(a, b.flip(2) if f else b)  # each image whole, mirrored or not
    assert 0 < sum(flipped) < len(flipped)  # a fair coin per image over 32 images
    x2, _ = flipping.make_batch(idx, torch.Generator().manual_seed(0))
    assert torch.equal(x1, x2)  # the coins come from the run's generator
    x3, _ = flipping.make_batch(idx, torch.Generator().manual_seed(1))
    assert not torch.equal(x1, x3)


def test_toy_batches_are_the_points_themselves(tmp_path):
    task = toy_trainer(tmp_path, **{"data.hflip": True}).task
    idx = task.draw()
    x, y = task.make_batch(idx, torch.Generator().manual_seed(0))
    assert x.dtype == torch.float32 and torch.equal(x, task.data.images[idx])  # no flips
    assert torch.equal(y, task.data.labels[idx])  # the mode of each point


@pytest.mark.parametrize(
    "over,message",
    [
        ({"model.arch": "toy"}, "model.arch=toy needs data.source=toy-ring or toy-grid"),
        ({"data.source": "toy-ring"}, "data.source=toy-ring needs model.arch=toy"),
        ({"data.resolution": 48}, "model.arch=dcgan supports data.resolution 28, 32 or 64, not 48"),
        ({"model.arch": "resnet", "data.resolution": 64}, "resnet is built for 32 px"),
        ({"loss.gp_weight": 10}, "set model.d_norm=layer or none for WGAN-GP"),
        ({"loss.name": "hinj"}, "did you mean 'hinge'"),
    ],
)
def test_check_config_refuses_what_the_architectures_cannot_train(over, message):
    cfg = load_config("dcgan-fashion-mnist", over)  # each value on its own is fine
    with pytest.raises(GanforgeError, match=message) as e:
        GANTask.check_config(cfg)
    assert "\n" not in str(e.value)
    GANTask.check_config(load_config("wgangp-fashion-mnist"))  # the presets pass


def test_paper_loss_is_the_non_saturating_loss_unless_chosen():
    assert GANTask.paper_loss(load_config("dcgan-fashion-mnist")) == "nonsaturating"
    assert GANTask.paper_loss(load_config("dcgan-fashion-mnist", {"loss.name": "hinge"})) == "hinge"


def test_extra_state_round_trips_the_data_position_and_the_d_steps():
    a, b = _task(), _task()
    for _ in range(3):
        a.draw()
    a.d_steps = 5
    b.load_extra_state(a.extra_state())
    assert b.d_steps == 5 and torch.equal(a.draw(), b.draw())


def test_fixed_inputs_follow_the_seed_and_give_each_row_one_class():
    task = _task(**{"model.conditional": "concat"})
    a, b = task.fixed_inputs(16, seed=3), task.fixed_inputs(16, seed=3)
    assert torch.equal(a["z"], b["z"]) and a["z"].shape == (16, 8)
    assert not torch.equal(a["z"], task.fixed_inputs(16, seed=4)["z"])
    assert a["y"].tolist() == [0] * 4 + [1] * 4 + [2] * 4 + [3] * 4
    assert "y" not in _task().fixed_inputs(16, seed=3)  # unconditional: noise only


def _state(task: GANTask, num_classes, names=None) -> dict:
    G = task.G.state_dict()
    averaged = {k: v + 1 if v.is_floating_point() else v for k, v in G.items()}
    meta = {"data": {"num_classes": num_classes, "class_names": names or []}}
    return {"nets": {"G": G, "D": task.D.state_dict()}, "ema": {"G": averaged}, "meta": meta}


def test_open_builds_the_generator_the_checkpoint_describes():
    task = _task(**{"model.conditional": "concat"})
    names = [f"c{k}" for k in range(12)]
    model, used_ema = GANTask.open(task.cfg, _state(task, 10, names), ema=True)
    assert used_ema and model.num_classes == 10 and model.class_names == names[:10]
    assert model.output_shape == (1, 32, 32) and model.z_dim == 8
    assert not model.G.training and not any(p.requires_grad for p in model.G.parameters())
    key = next(iter(task.G.state_dict()))
    assert torch.equal(model.G.state_dict()[key], task.G.state_dict()[key] + 1)  # the EMA copy
    raw, used_ema = GANTask.open(task.cfg, _state(task, 10, names), ema=False)
    assert not used_ema and torch.equal(raw.G.state_dict()[key], task.G.state_dict()[key])


@pytest.mark.parametrize("k", [-1, 100_001, True, "10", 2.5])
def test_open_refuses_a_checkpoint_with_a_bad_class_count_in_one_line(k):
    task = _task()
    with pytest.raises(GanforgeError) as e:
        GANTask.open(task.cfg, _state(task, k))
    message = str(e.value)
    assert "\n" not in message
    assert message.startswith(f"the checkpoint's meta.data.num_classes={k!r} is not a class count")
    assert message.endswith("the file was edited or damaged; use another checkpoint")


def test_open_refuses_image_to_image_options():
    task = _task()
    with pytest.raises(GanforgeError, match="^--direction is for image-to-image runs") as e:
        GANTask.open(task.cfg, _state(task, 0), direction="BtoA")
    assert "this gan run draws from noise: leave it out" in str(e.value)


def test_a_projected_discriminator_trains_a_dcgan_and_its_evaluations_say_so(monkeypatch):
    """model.discriminator=projected swaps D for the frozen-Lite0 one (Sauer et al. 2021) in any
    noise-to-image family: one iteration moves the heads, not the backbone or the projections,
    and every evaluation's protocol records that D saw ImageNet features."""
    from ganforge.models.projected import ProjectedDiscriminator
    from ganforge.train.trainer import Trainer

    over = {**SMALL, "model.discriminator": "projected", "projected.ccm_channels": 4}
    over.update({"runtime.precision": "fp32", "runtime.progress": False, "train.report": False})
    trainer = Trainer(load_config("dcgan-fashion-mnist", over), data=random_images(n=64))
    D = trainer.task.D
    assert isinstance(D, ProjectedDiscriminator)
    frozen = {k: v.clone() for k, v in D.backbone.state_dict().items()}
    ccm, heads = D.ccm[0].weight.clone(), D.to_logits[0].parametrizations.weight.original.clone()
    one_iteration(trainer)
    assert all(torch.equal(v, D.backbone.state_dict()[k]) for k, v in frozen.items())
    assert torch.equal(ccm, D.ccm[0].weight)
    assert not torch.equal(heads, D.to_logits[0].parametrizations.weight.original)
    record = GANTask.discriminator_record(trainer.cfg)
    assert "EfficientNet-Lite0" in record["discriminator_features"]
    assert trainer.task.training_evaluator().record == record
    assert GANTask.discriminator_record(load_config("dcgan-fashion-mnist")) == {}

    class Run:
        cfg, model = trainer.cfg, None

    scored = {"metrics": {"fd_fmnist": 1.0}, "protocol": {"extractor": "fmnist"}}
    monkeypatch.setattr("ganforge.tasks.gan.evaluate_noise_model", lambda *a: scored)
    assert GANTask.evaluate(Run(), None)["protocol"] == {"extractor": "fmnist", **record}
