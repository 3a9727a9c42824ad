"""loggers/tensorboard.py: scalars, scores, grids and config as events, trimmed on resume."""

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("tensorboard", reason="the tensorboard extra is not installed")

from ganforge.loggers.tensorboard import TensorBoardSink  # noqa: E402


def _events(folder):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(folder), size_guidance={"scalars": 0, "images": 0})
    acc.Reload()
    return acc


def test_scalars_scores_images_and_config_are_written(tmp_path):
    sink = TensorBoardSink(tmp_path, {"name": "x", "train": {"images": 10}}, 0)
    for images in (64, 128):
        sink.scalars(images, {"d_loss": images / 100})
    sink.scores(128, {"fd": 3.0})
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "g.png")
    sink.image(128, "samples", tmp_path / "g.png")
    sink.close()
    acc = _events(tmp_path / "tensorboard")
    assert [e.step for e in acc.Scalars("d_loss")] == [64, 128]
    assert [e.value for e in acc.Scalars("eval/fd")] == [3.0]
    assert acc.Tags()["images"] == ["samples"]
    assert "config/text_summary" in acc.Tags()["tensors"]


def test_a_resume_purges_the_events_after_its_checkpoint(tmp_path):
    sink = TensorBoardSink(tmp_path, {}, 0)
    for images in (64, 128, 192):
        sink.scalars(images, {"loss": float(images)})
    sink.close()
    resumed = TensorBoardSink(tmp_path, {}, 128)  # the checkpoint was at 128: 192 is replayed
    resumed.scalars(192, {"loss": -1.0})
    resumed.close()
    steps = [(e.step, e.value) for e in _events(tmp_path / "tensorboard").Scalars("loss")]
    assert steps == [(64, 64.0), (128, 128.0), (192, -1.0)]
