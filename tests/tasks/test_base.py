"""tasks/base.py: the Task interface: what a family must declare, the defaults of what it may
leave out, Phase and PhaseLoss, the sample grid and mixed precision hooks."""

import dataclasses

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from ganforge.config import Config
from ganforge.data.dataset import ImageData
from ganforge.errors import GanforgeError
from ganforge.tasks.base import Phase, PhaseLoss, Task
from helpers import random_images


class Minimal(Task):
    """The abstract parts only, each as small as it can be."""

    name = "minimal"

    def __init__(self, data: ImageData, precision: str = "fp32") -> None:
        super().__init__(Config(), data, torch.device("cpu"), precision)
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(4, 4), nn.Dropout(0.5))
        self.opt = torch.optim.SGD(self.net.parameters(), lr=0.1)

    @classmethod
    def load_data(cls, cfg):
        return random_images(n=4, size=2)

    @property
    def nets(self):
        return {"net": self.net}

    @property
    def optimizers(self):
        return {"net": self.opt}

    def phases(self):
        return [Phase("step", "net", lambda batch, gen, measure, carry: None)]

    def draw(self):
        return torch.arange(2)

    def make_batch(self, draw, gen):
        return self.data.images[draw]

    @classmethod
    def open(cls, cfg, state, ema=True, device="cpu", **options):
        return None, ema

    def generate(self, nets, inputs):
        # (N, 1, 2, 2) in [-1, 1]; fails when the network is in training mode (to test restores).
        assert not nets["net"].training, "generate runs in eval mode"
        return torch.tanh(nets["net"](inputs["x"])).view(-1, 1, 2, 2)


def test_a_family_must_fill_in_every_abstract_part():
    class Partial(Task):
        @property
        def nets(self):
            return {}

    with pytest.raises(TypeError, match="abstract") as e:
        Partial(Config(), random_images(n=4), torch.device("cpu"), "fp32")
    for part in ("draw", "load_data", "make_batch", "open", "optimizers", "phases"):
        assert part in str(e.value)
    task = Minimal(random_images(n=4, size=2))
    assert task.nets["net"] is task.net  # a complete one can be made


def test_the_optional_parts_default_to_doing_nothing_or_a_one_line_refusal():
    task = Minimal(random_images(n=4, size=2))
    assert Minimal.check_config(Config()) is None  # every config accepted
    assert task.extra_state() == {} and task.load_extra_state({"x": 1}) is None
    assert task.fixed_inputs(4, 0) == {} and task.grid_nrow is None
    assert task.training_evaluator() is None
    assert task.wrap_for_distributed(lambda m: m, task.shard) is False  # the Trainer averages
    # Nothing of any family by default: no EMA, no columns or panels beyond the phases' own.
    assert (Minimal.ema_targets, Minimal.log_columns, Minimal.progress_columns) == ((), (), ())
    assert Minimal.plot_panels == () and Minimal.extra_columns == ()
    assert Minimal.section is None and Minimal.sections == {}
    assert Minimal.declared_sections() == {}
    assert "does not declare its iteration capturable" in task.graph_problem()
    refusals = [
        (lambda: Task.generate(task, {}, {}), "task minimal draws no sample grids"),
        (lambda: task.inference({}), "task minimal cannot be evaluated during training"),
        (lambda: Minimal.evaluate(None, None), "task minimal has no evaluator"),
        (lambda: Minimal.discriminator(Config(), {}, None), "task minimal has no discriminator"),
    ]
    for call, message in refusals:
        with pytest.raises(GanforgeError, match=f"^{message}"):
            call()


def test_phase_defaults_and_both_records_are_frozen():
    phase = Phase("D", "D", lambda batch, gen, measure, carry: None)
    assert (phase.repeats, phase.fresh_batch, phase.frozen, phase.after_step) == (1, True, (), None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        phase.repeats = 5
    out = PhaseLoss(torch.tensor(1.0), {"d_loss": torch.tensor(1.0)})
    assert out.carry is None  # a loss hands nothing on unless it says so
    with pytest.raises(dataclasses.FrozenInstanceError):
        out.loss = torch.tensor(2.0)


def test_a_task_declares_its_sections_in_either_spelling():
    @dataclasses.dataclass
    class A:
        x: int = 1

    @dataclasses.dataclass
    class B:
        y: int = 2

    class Both(Minimal):
        sections = {"a_section": A}
        section = ("b_section", B)

    assert Both.declared_sections() == {"a_section": A, "b_section": B}


def test_autocast_follows_the_precision():
    fp32 = Minimal(random_images(n=4, size=2), "fp32")
    assert fp32.amp_dtype is None
    with fp32.autocast():
        assert not torch.is_autocast_enabled("cpu")
    bf16 = Minimal(random_images(n=4, size=2), "bf16")
    assert bf16.amp_dtype is torch.bfloat16 and bf16.autocast_cache
    with bf16.autocast():
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.bfloat16
    bf16.prepare_capture()  # a CUDA graph must not capture autocast's weight cache
    assert bf16.autocast_cache is False
    assert Minimal(random_images(n=4, size=2), "fp16").amp_dtype is torch.float16


def test_save_reals_draws_the_first_images(tmp_path):
    data = random_images(n=6, size=2)
    Minimal(data).save_reals(tmp_path / "reals.png", 4)
    grid = torch.from_numpy(np.array(Image.open(tmp_path / "reals.png")))
    assert grid.shape == (2 * 2 + 2 * 3, 2 * 2 + 2 * 3)  # 2 x 2 tiles of 2 px, 2 px padding
    assert torch.equal(grid[2:4, 2:4], data.images[0, 0]) and torch.equal(
        grid[6:8, 6:8], data.images[3, 0]
    )


def test_save_samples_runs_in_eval_mode_and_restores_each_mode(tmp_path):
    task = Minimal(random_images(n=4, size=2))
    other = nn.Linear(1, 1).eval()
    nets = {"net": task.net.train(), "other": other}
    task.save_samples(tmp_path / "s.png", nets, {"x": torch.zeros(4, 1, 2, 2)})
    assert Image.open(tmp_path / "s.png").size == (2 * 2 + 2 * 3, 2 * 2 + 2 * 3)
    assert task.net.training and not other.training  # as they were
    with pytest.raises(RuntimeError):  # a failure mid-grid still restores the modes
        task.save_samples(tmp_path / "t.png", nets, {"x": torch.zeros(3, 5)})
    assert task.net.training and not other.training
