"""commands/generator_options.py: the options every generator command shares, opening its run, and
the notes it prints (the commands themselves are tested end to end in this folder)."""

import argparse
from types import SimpleNamespace

import pytest

import ganforge.runs
from ganforge.commands import generator_options as O
from ganforge.errors import GanforgeError


def _parser(device=True) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser()
    O.add_run_options(p, device=device)
    O.add_sampling_options(p)
    return p


def test_the_shared_options_and_their_defaults():
    args = _parser().parse_args(["runs/x"])
    assert (args.run, args.checkpoint, args.no_ema, args.device) == ("runs/x", None, False, "cpu")
    assert (args.seed, args.truncation, args.label) == (0, None, None)
    args = _parser().parse_args(
        ["r", "--checkpoint", "best", "--no-ema", "--seed", "3", "--truncation", "0.7"]
    )
    assert (args.checkpoint, args.no_ema, args.seed, args.truncation) == ("best", True, 3, 0.7)
    assert not hasattr(_parser(device=False).parse_args(["r"]), "device")


def test_open_run_loads_the_ema_generator_on_the_device_and_refuses_other_runs(monkeypatch):
    calls, refused = [], []

    class Run:
        def require(self, use, command):
            assert use == "sample"
            refused.append(command)

    def load_run(path, checkpoint, ema, device):
        calls.append((path, checkpoint, ema, str(device)))
        return Run()

    monkeypatch.setattr(ganforge.runs, "load_run", load_run)
    args = _parser().parse_args(["runs/x", "--checkpoint", "best"])
    args.command = "sheet"
    assert isinstance(O.open_run(args), Run)
    assert calls == [("runs/x", "best", True, "cpu")] and refused == ["`ganforge sheet`"]
    O.open_run(_parser().parse_args(["runs/y", "--no-ema"]))
    assert calls[-1][2] is False and refused[-1] == "`ganforge sample`"  # no command: sample


def test_require_images_refuses_toy_runs_in_one_line():
    image_run = SimpleNamespace(cfg=SimpleNamespace(data=SimpleNamespace(is_toy=False)))
    O.require_images(image_run, "sheet")
    toy = SimpleNamespace(cfg=SimpleNamespace(data=SimpleNamespace(is_toy=True)), run_dir="runs/t")
    with pytest.raises(GanforgeError) as e:
        O.require_images(toy, "interpolate")
    assert str(e.value) == (
        "`ganforge interpolate` needs an image generator; runs/t is a 2-D toy run "
        "(use `ganforge sample RUN --out points.npz`)"
    )


def test_label_of_resolves_numbers_and_names():
    run = SimpleNamespace(num_classes=3, class_names=["cat", "dog", "eel"])
    assert O.label_of(argparse.Namespace(label="Dog"), run) == 1
    assert O.label_of(argparse.Namespace(label="2"), run) == 2
    assert O.label_of(argparse.Namespace(), run) is None
    with pytest.raises(GanforgeError, match="not a class of this run: use one of cat, dog, eel"):
        O.label_of(argparse.Namespace(label="fox"), run)


def test_the_truncation_note_is_said_once_and_only_for_saved_latents(capsys):
    args = argparse.Namespace(truncation=0.7)
    O.truncation_note(args, SimpleNamespace(from_files=False))
    assert capsys.readouterr().err == ""  # indices are truncated: nothing to say
    O.truncation_note(args, SimpleNamespace(from_files=True))
    O.truncation_note(args, SimpleNamespace(from_files=True))
    err = capsys.readouterr().err
    assert (
        err == "note: --truncation applies to sample indices only; .npy latents are used as saved\n"
    )
    O.truncation_note(argparse.Namespace(truncation=None), SimpleNamespace(from_files=True))
    assert capsys.readouterr().err == ""


def test_notes_and_progress_go_to_stderr(capsys):
    O.note("a remark")
    O.done("wrote x.png")
    out, err = capsys.readouterr()
    assert out == "" and err == "note: a remark\nwrote x.png\n"
