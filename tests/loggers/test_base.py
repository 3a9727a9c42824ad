"""loggers/base.py: the Sink interface and its registry."""

import pytest

from ganforge.errors import GanforgeError
from ganforge.loggers.base import SINKS, Sink, register_sink


class Memory(Sink):
    """Keeps what it is sent (also used by test_fanout.py)."""

    def __init__(self, run_dir, config, resume_at):
        self.calls = [("start", resume_at)]

    def scalars(self, images, values):
        self.calls.append(("scalars", images, dict(values)))


def test_register_sink_names_the_class_and_refuses_a_taken_name():
    with SINKS.restored():
        assert register_sink("memory")(Memory) is Memory and SINKS["memory"] is Memory
        assert Memory.name == "memory"
        with pytest.raises(GanforgeError, match="^logger sink 'tensorboard' is already registered"):
            register_sink("tensorboard")(Memory)
        with pytest.raises(TypeError, match="decorates Sink subclasses"):
            register_sink("other")(object)
    assert "memory" not in SINKS and "tensorboard" in SINKS


def test_scores_default_to_scalars_under_eval_and_the_rest_is_optional(tmp_path):
    sink = Memory(tmp_path, {}, 0)
    sink.scores(100, {"fd": 3.5})
    sink.image(100, "samples", tmp_path / "x.png")  # optional: nothing happens
    sink.close()
    Memory.check()  # nothing to check by default
    assert sink.calls == [("start", 0), ("scalars", 100, {"eval/fd": 3.5})]
    assert Memory.missing_ok is False  # a sink the user asked for refuses when it cannot start
