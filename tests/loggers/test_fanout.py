"""loggers/fanout.py: starting the chosen sinks, feeding them, and training on when one fails."""

import pytest

from ganforge.errors import GanforgeError
from ganforge.loggers.base import SINKS, Sink, SinkUnavailable, register_sink
from ganforge.loggers.fanout import Loggers, check_sinks


class Good(Sink):
    def __init__(self, run_dir, config, resume_at):
        self.rows = []
        self.resume_at = resume_at
        self.closed = False

    def scalars(self, images, values):
        self.rows.append((images, values))

    def close(self):
        self.closed = True


class Flaky(Good):
    def scalars(self, images, values):
        if images >= 200:
            raise ConnectionError("tracker server went away\nsecond line")
        super().scalars(images, values)


class NotInstalled(Good):
    @classmethod
    def check(cls):
        raise SinkUnavailable("tracker is not installed: pip install tracker")


class Refuses(Good):
    def __init__(self, run_dir, config, resume_at):
        raise RuntimeError("cannot reach the server")


@pytest.fixture
def sinks():
    with SINKS.restored():
        for name, cls in (("good", Good), ("flaky", Flaky), ("absent", NotInstalled)):
            register_sink(name)(cls)
        register_sink("refuses")(Refuses)
        yield


def test_check_sinks_refuses_unknown_and_missing_ones_in_one_line(sinks):
    assert check_sinks(["good"], required=True) == []
    with pytest.raises(GanforgeError, match="^unknown logger sink 'godo' \\(did you mean 'good'"):
        check_sinks(["godo"], required=True)
    with pytest.raises(GanforgeError) as e:
        check_sinks(["absent"], required=True)
    assert "tracker is not installed" in str(e.value) and "loggers_required=false" in str(e.value)
    notes = check_sinks(["absent"], required=False)
    assert notes == ["logger absent: tracker is not installed: pip install tracker"]


def test_a_default_sink_whose_library_is_missing_is_a_note(sinks):
    NotInstalled.missing_ok = True
    try:
        assert check_sinks(["absent"], required=True)[0].startswith("logger absent:")
    finally:
        NotInstalled.missing_ok = False


def test_every_sink_gets_every_row_and_a_failing_one_is_switched_off_once(sinks, tmp_path):
    notes = []
    loggers = Loggers(notes.append)
    loggers.start(["good", "flaky"], tmp_path, {"name": "x"}, 64, required=True)
    good, flaky = loggers.sinks["good"], loggers.sinks["flaky"]
    assert good.resume_at == flaky.resume_at == 64
    for images in (100, 200, 300):
        loggers.scalars(images, {"loss": 1.0})
    assert [r[0] for r in good.rows] == [100, 200, 300] and [r[0] for r in flaky.rows] == [100]
    assert list(loggers.sinks) == ["good"]
    assert (
        len(notes) == 1
        and "logger flaky failed (ConnectionError: tracker server went away)" in notes[0]
    )
    assert "\n" not in notes[0] and "training, metrics.csv and checkpoints go on" in notes[0]
    loggers.close()
    assert good.closed and loggers.sinks == {}


def test_a_sink_that_cannot_start_refuses_unless_not_required(sinks, tmp_path):
    with pytest.raises(GanforgeError) as e:
        Loggers(print).start(["refuses"], tmp_path, {}, 0, required=True)
    assert "logger refuses failed to start (RuntimeError: cannot reach the server)" in str(e.value)
    notes = []
    loggers = Loggers(notes.append)
    loggers.start(["refuses", "good"], tmp_path, {}, 0, required=False)
    assert list(loggers.sinks) == ["good"] and "training goes on without it" in notes[0]
