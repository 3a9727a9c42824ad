"""evaluation/options.py: what `ganforge eval RUN` asks, and refusing what does not apply."""

import pytest

from ganforge.errors import GanforgeError
from ganforge.evaluation.options import FLAGS, EvalOptions


def test_counts_must_be_positive():
    with pytest.raises(GanforgeError, match="^--n must be positive, got 0$"):
        EvalOptions(n=0)
    with pytest.raises(GanforgeError, match="^--batch must be positive, got -2$"):
        EvalOptions(batch=-2)
    assert EvalOptions(n=1, batch=None).batch is None


def test_refuse_names_the_first_given_flag_and_ignores_defaults():
    why = "is for image-to-image runs"
    EvalOptions().refuse(*FLAGS, why=why)  # nothing given: nothing refused
    EvalOptions(features="auto", split="", real=None).refuse("features", "split", "real", why=why)
    with pytest.raises(GanforgeError) as e:
        EvalOptions(direction="BtoA", fidelity_channels="y").refuse(
            "metrics", "direction", "fidelity_channels", why=why
        )
    assert str(e.value) == "--direction is for image-to-image runs; leave it out"
    with pytest.raises(GanforgeError, match="^--fidelity-channels does not apply; leave it out$"):
        EvalOptions(fidelity_channels="y").refuse("fidelity_channels", why="does not apply")
    with pytest.raises(GanforgeError, match="^--features "):
        EvalOptions(features="fmnist").refuse("features", why="x")  # only auto is the default
    assert set(FLAGS) == {"metrics", "features", "split", "real", "direction", "fidelity_channels"}
