"""tasks/two_player.py: the G/D scaffolding the GAN-like families share, and the fake batch the D
phase hands the G phase as a value."""

import torch

from ganforge.config import load_config
from ganforge.tasks.base import Phase
from ganforge.tasks.two_player import GAN_COLUMNS, GAN_PANELS, TwoPlayerTask
from ganforge.train.trainer import Trainer
from helpers import tiny_overrides, toy_trainer


def test_every_gan_like_family_is_a_two_player_task():
    from ganforge.tasks import TASKS

    for name in ("gan", "r3gan", "pix2pix", "cyclegan", "srgan"):
        assert issubclass(TASKS[name], TwoPlayerTask), name
    assert TwoPlayerTask.ema_targets == ("G",) and TwoPlayerTask.log_columns == GAN_COLUMNS
    assert TwoPlayerTask.plot_panels == GAN_PANELS


def test_the_phases_counter_and_state_come_from_the_base(tmp_path):
    t = toy_trainer(tmp_path, **{"train.n_critic": 3, "train.images": 192})
    task = t.task
    d, g = task.phases()
    assert isinstance(d, Phase) and (d.name, d.optimizer, d.repeats) == ("D", "D", 3)
    assert (g.name, g.fresh_batch, g.frozen) == ("G", False, ("D",))
    assert set(task.nets) == {"G", "D"} and set(task.optimizers) == {"G", "D"}
    t.fit()
    assert task.d_steps == 3 and task.extra_state()["d_steps"] == 3  # one iteration of 3 D steps
    state = task.extra_state()
    task.d_steps = 0
    task.load_extra_state(state)
    assert task.d_steps == 3 and state["sampler"]["cursor"] > 0
    task.replayed()  # a CUDA-graph replay counts what the captured D steps would have
    assert task.d_steps == 6


def test_the_d_phase_carries_its_fakes_to_the_g_phase_as_a_value(tmp_path, tiny_data):
    t = Trainer(load_config("dcgan-fashion-mnist", tiny_overrides(tmp_path)), data=tiny_data)
    task = t.task
    batch = task.make_batch(task.draw(), t.gen)
    d = task.d_loss(batch, t.gen, False, None)
    fake, y = d.carry
    assert fake.requires_grad and fake.shape == batch[0].shape  # G's graph, for the G step
    assert not hasattr(task, "_fake")  # nothing is left on the task between phases
    g = task.g_loss(batch, t.gen, False, d.carry)
    g.loss.backward()
    assert all(p.grad is not None for p in task.G.parameters())
    # Without a carry (several critic steps) the G phase draws its own fakes.
    assert task.g_loss(batch, t.gen, False, None).loss.requires_grad


def test_cyclegan_frozen_discriminators_are_both_of_its_own(tmp_path):
    over = {
        "data.split": "test",
        "data.max_images": 64,
        "data.resolution": 16,
        "model.g_width": 4,
        "model.d_width": 4,
        "i2i.g_blocks": 1,
        "train.batch_size": 4,
    }
    t = Trainer(load_config("cyclegan-fashion", tiny_overrides(tmp_path, **over)))
    assert t.task.phases()[1].frozen == ("D_Y", "D_X") and t.task.ema_targets == ("G", "F")
    assert torch.is_tensor(next(iter(t.task.generators["F"].parameters())))
