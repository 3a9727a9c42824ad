"""loggers/tracker_runs.py: RUN/trackers.json, the tracker runs a resumed run continues."""

import pytest

from ganforge.errors import GanforgeError
from ganforge.loggers.tracker_runs import TRACKERS_FILE, remember_tracker_run, tracker_run_id


def test_each_sink_keeps_its_own_id(tmp_path):
    assert tracker_run_id(tmp_path, "wandb") is None  # a new run
    remember_tracker_run(tmp_path, "wandb", "abc123")
    remember_tracker_run(tmp_path, "mlflow", "f00d")
    assert tracker_run_id(tmp_path, "wandb") == "abc123"
    assert tracker_run_id(tmp_path, "mlflow") == "f00d"
    assert tracker_run_id(tmp_path, "other") is None


def test_an_unreadable_file_is_one_line_saying_what_to_do(tmp_path):
    (tmp_path / TRACKERS_FILE).write_text("{not json")
    with pytest.raises(GanforgeError, match=r"trackers.json cannot be read .*delete it") as e:
        tracker_run_id(tmp_path, "wandb")
    assert "\n" not in str(e.value)
