"""Checkpoint metadata is untrusted input: real checkpoints edited by hand give one line on resume
and on opening, write nothing, and never misname or prune a checkpoint."""

from __future__ import annotations

import math
import shutil

import pytest
import torch

from ganforge.cli import main
from ganforge.config import load_config
from ganforge.errors import GanforgeError
from ganforge.runs import load_run
from ganforge.train import checkpoint as ckpt
from ganforge.train import state_checks as checks
from ganforge.train.trainer import Trainer
from helpers import (
    edit_checkpoint,
    files_under,
    random_images,
    skeleton_node,
    tiny_overrides,
    train_toy,
)


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    """A finished toy run with checkpoints at 128 and 256 images (copied by each test)."""
    return train_toy(tmp_path_factory.mktemp("runs"))


@pytest.fixture
def run(toy_run, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(toy_run, copy)
    return copy


def _set(dotted: str, value):
    def edit(skeleton):
        parent, key = skeleton_node(skeleton, dotted)
        parent[key] = value

    return edit


def _drop(dotted: str):
    def edit(skeleton):
        parent, key = skeleton_node(skeleton, dotted)
        del parent[key]

    return edit


NAN = float("nan")
EDITS = {
    "images seen as text": (_set("progress.images_seen", "256"), "is not a count"),
    "images seen negative": (_set("progress.images_seen", -392), "is not a count"),
    "images seen 1e30": (_set("progress.images_seen", 1e30), "is not a count"),
    "images seen 10**30": (_set("progress.images_seen", 10**30), "is not a count"),
    "images seen not the name's": (_set("progress.images_seen", 128), "disagrees with the file"),
    "more iterations than images": (_set("progress.iterations", 10**6), "exceeds"),
    "wall time as text": (_set("progress.wall_time", "an hour"), "not a duration"),
    "progress missing": (_drop("progress"), "progress is missing"),
    "lr as text": (_set("optim.G.param_groups.0.lr", "fast"), "not a finite number"),
    "lr NaN": (_set("optim.D.param_groups.0.lr", NAN), "not a finite number"),
    "lr negative": (_set("optim.G.param_groups.0.lr", -1), "is negative"),
    "betas as text": (_set("optim.G.param_groups.0.betas", "fast"), "not a list of 2"),
    "beta NaN": (_set("optim.G.param_groups.0.betas.1", NAN), "not a finite number"),
    "beta 1.5": (_set("optim.G.param_groups.0.betas.0", 1.5), "not in [0, 1)"),
    "amsgrad as text": (_set("optim.G.param_groups.0.amsgrad", "yes"), "not true or false"),
    "param ids junk": (_set("optim.G.param_groups.0.params", "all"), "parameter ids"),
    "step as text": (_set("optim.G.state.0.step", "many"), "not a step count"),
    "moment of another shape": (
        _set("optim.G.state.0.exp_avg", {"$t": "optim.G.state.1.exp_avg"}),
        "has shape",
    ),
    "moment as a number": (_set("optim.D.state.2.exp_avg_sq", 0.5), "not a floating-point"),
    "moment missing": (_drop("optim.G.state.0.exp_avg"), "state.0.exp_avg is missing"),
    "lr missing": (_drop("optim.D.param_groups.0.lr"), "param_groups.0.lr is missing"),
    "sampler cursor past the data": (_set("task.sampler.cursor", 10**9), "is past the 256"),
    "sampler cursor negative": (_set("task.sampler.cursor", -5), "is not an integer"),
    "sampler epoch as text": (_set("task.sampler.epoch", "x"), "is not an integer"),
    "sampler as junk": (_set("task.sampler", [1, 2]), "is not a mapping"),
    "sampler of another data set": (_set("task.sampler.n", 999), "does not match"),
    "d steps a fraction": (_set("task.d_steps", 1.5), "is not an integer"),
    "rng as text": (_set("rng.torch", "seed 42"), "not a generator state"),
    "rng of another type": (_set("rng.noise", {"$t": "nets.G.net.0.bias"}), "generator state"),
    "logged sums junk": (_set("acc", []), "is not a mapping"),
    "weight as a number": (_set(("nets", "G", "net.0.bias"), 0.0), "is not a tensor"),
}


@pytest.mark.parametrize("case", list(EDITS))
def test_edited_checkpoint_is_one_line_and_writes_nothing(case, run):
    edit, expected = EDITS[case]
    newest = ckpt.list_checkpoints(run / "checkpoints")[-1]
    edit_checkpoint(newest, edit)
    before = files_under(run)
    with pytest.raises(GanforgeError) as e:
        Trainer.resume(run, ["train.images=512"])
    message = str(e.value)
    assert expected in message and "\n" not in message, message
    assert message.startswith(f"checkpoint {newest} "), message
    assert files_under(run) == before


def test_rng_state_of_another_size_says_which_device(run):
    newest = ckpt.list_checkpoints(run / "checkpoints")[-1]
    edit_checkpoint(newest, edit_tensors=lambda t: t.update({"rng.noise": t["rng.noise"][:16]}))
    with pytest.raises(GanforgeError, match="16-byte generator state.*another device"):
        Trainer.resume(run)


def test_the_command_line_gives_one_line_and_exit_2(run, capsys):
    newest = ckpt.list_checkpoints(run / "checkpoints")[-1]
    edit_checkpoint(newest, _set("optim.G.param_groups.0.betas", [0.5, "x"]))
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--set=train.images=512"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ganforge: error: checkpoint "), err
    assert "betas.1='x' is not a finite number" in err[0]


def test_a_count_that_disagrees_with_the_name_never_prunes_the_newest(run):
    """What the name check stops: the newest file claims an older count. Resumed from it, the run
    would overwrite ckpt-...128, and every checkpoint it wrote would sort before the stale 256 one
    and be pruned first; instead nothing is loaded or removed."""
    older, newest = ckpt.list_checkpoints(run / "checkpoints")
    edit_checkpoint(newest, _set("progress.images_seen", 64))
    with pytest.raises(GanforgeError, match="disagrees with the file name's 256"):
        Trainer.resume(run, ["train.images=1024"])
    assert ckpt.list_checkpoints(run / "checkpoints") == [older, newest]


def test_untouched_checkpoint_still_resumes(run):
    t = Trainer.resume(run, ["train.images=320"])
    assert t.images_seen == 256 and t.iterations == 4
    t.fit()
    names = [p.name for p in ckpt.list_checkpoints(run / "checkpoints")]
    assert names[-1] == ckpt.checkpoint_name(320)


def test_a_task_state_that_grew_since_the_checkpoint_still_resumes(tmp_path):
    """Augmentation switched on when resuming: the task's state gains ADA's entry, which the
    checkpoint cannot have; the task judges a missing entry, not the checks."""
    over = {"train.images": 64, "train.checkpoint_every": 64, "train.grid_size": 4}
    over.update({"data.source": "fashion-mnist", "model.g_hidden": [16], "model.d_hidden": [16]})
    data = random_images(size=28)
    cfg = load_config("vanilla-mnist-mlp", tiny_overrides(tmp_path, **over))
    run = Trainer(cfg, data=data).fit().run_dir
    t = Trainer.resume(run, ["augment.policy=ada", "train.images=96"], data=data)
    assert "augment" in t.task.extra_state() and t.images_seen == 64


@pytest.mark.parametrize("value", ["256", -1, 1e30, True], ids=["text", "negative", "1e30", "bool"])
def test_opening_an_edited_checkpoint_is_one_line(run, value):
    newest = ckpt.list_checkpoints(run / "checkpoints")[-1]
    edit_checkpoint(newest, _set("progress.images_seen", value))
    with pytest.raises(GanforgeError, match=r"edited or damaged: progress.images_seen=.* count"):
        load_run(run)
    assert load_run(run, checkpoint=ckpt.checkpoint_name(128)).images_seen == 128


# --------------------------------------------------------------------------- the checks alone


def _adam(betas=(0.5, 0.999)) -> torch.optim.Adam:
    p = torch.nn.Parameter(torch.zeros(3, 2))
    opt = torch.optim.Adam([p], lr=1e-3, betas=betas)
    p.grad = torch.ones(3, 2)
    opt.step()
    return opt


def test_a_sound_optimizer_state_passes_and_its_edits_do_not():
    opt = _adam()
    state = opt.state_dict()
    checks.check_optimizer(state, opt, "optim.G")
    bad = {**state, "state": {0: {**state["state"][0], "exp_avg": torch.full((3, 2), math.inf)}}}
    with pytest.raises(checks.StateError, match="optim.G.state.0.exp_avg holds NaN"):
        checks.check_optimizer(bad, opt, "optim.G")
    bad = {**state, "state": {7: state["state"][0]}}
    with pytest.raises(checks.StateError, match="state.7 belongs to no parameter"):
        checks.check_optimizer(bad, opt, "optim.G")
    bad = {**state, "param_groups": state["param_groups"] * 2}
    with pytest.raises(checks.StateError, match="1 parameter group"):
        checks.check_optimizer(bad, opt, "optim.G")


def test_scaler_eval_and_sums_are_checked():
    live = {"scale": 65536.0, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 2000}
    live["_growth_tracker"] = 0
    checks.check_scaler(dict(live), live, "scalers.G")
    with pytest.raises(checks.StateError, match="scalers.G.scale=0.0 is not positive"):
        checks.check_scaler({**live, "scale": 0.0}, live, "scalers.G")
    with pytest.raises(checks.StateError, match="scalers.G.scale='big'"):
        checks.check_scaler({**live, "scale": "big"}, live, "scalers.G")
    checks.check_eval_state({"metric": "fd", "best": 3.5, "best_images": 512, "protocol": None})
    with pytest.raises(checks.StateError, match="eval.best='low'"):
        checks.check_eval_state({"metric": "fd", "best": "low"})
    with pytest.raises(checks.StateError, match="eval.protocol"):
        checks.check_eval_state({"protocol": {"file": "x"}})  # record_protocol reads its hash
    checks.check_scalar_sums({"sum": {"d_loss": torch.tensor(1.5)}, "n": {"d_loss": 3}})
    with pytest.raises(checks.StateError, match="acc.n.d_loss"):
        checks.check_scalar_sums({"sum": {"d_loss": torch.tensor(1.5)}, "n": {}})
    with pytest.raises(checks.StateError, match="acc.sum.d_loss=nan is not finite"):
        checks.check_scalar_sums({"sum": {"d_loss": torch.tensor(NAN)}, "n": {"d_loss": 1}})


def test_task_state_is_checked_against_the_live_tasks_own():
    template = {"d_steps": 0, "p": 0.0, "flag": False, "pool": None, "x": torch.zeros(2)}
    checks.check_like({**template, "d_steps": 9, "pool": "anything", "more": 1}, template, "task")
    for key, value, why in [
        ("d_steps", -1, "not an integer from 0"),
        ("d_steps", True, "not an integer"),
        ("p", NAN, "not a finite number"),
        ("flag", 1, "not true or false"),
        ("x", torch.zeros(2, dtype=torch.int64), "torch.int64 tensor"),
        ("x", torch.tensor([NAN, 0.0]), "holds NaN"),
    ]:
        with pytest.raises(checks.StateError, match=why):
            checks.check_like({**template, key: value}, template, "task")
    # A key it lacks is the task's to judge: e.g. augmentation switched on when resuming.
    checks.check_like({"p": 0.0}, template, "task")
