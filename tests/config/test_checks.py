"""config/checks.py: the one-line range and choice messages every config section shares."""

import math

import pytest

from ganforge.config.checks import SEED_LIMIT, choice, number
from ganforge.errors import GanforgeError


def _message(call) -> str:
    with pytest.raises(GanforgeError) as e:
        call()
    assert "\n" not in str(e.value)
    return str(e.value)


def test_choice_lists_the_allowed_values_and_suggests_the_closest():
    choice("hinge", ("hinge", "lsgan"), "loss.name")  # allowed: no error
    assert _message(lambda: choice("hinj", ("hinge", "lsgan"), "loss.name")) == (
        "loss.name='hinj' is not one of hinge, lsgan (did you mean 'hinge'?)"
    )
    assert _message(lambda: choice("zzz", iter(["a", "b"]), "k")) == "k='zzz' is not one of a, b"


@pytest.mark.parametrize(
    "value,kwargs,message",
    [
        (0, {"lo": 1}, "train.images=0 must be at least 1"),
        (-1, {"lo": 0}, "train.images=-1 must be >= 0"),
        (0.5, {"lo": 1.0}, "train.images=0.5 must be >= 1"),  # a float bound: no "at least"
        (0.0, {"lo": 0, "lo_open": True}, "train.images=0.0 must be positive"),
        (1, {"lo": 1, "lo_open": True}, "train.images=1 must be > 1"),
        (5000, {"lo": 1, "hi": 4096}, "train.images=5000 must be at most 4,096"),
        (10, {"lo": 0, "hi": 10, "hi_open": True}, "train.images=10 must be below 10"),
        (1.0, {"lo": 0, "hi": 1, "hi_open": True}, "train.images=1.0 must be in [0, 1)"),
        (-0.1, {"lo": 0, "hi": 1}, "train.images=-0.1 must be in [0, 1]"),
        (0.0, {"lo": 0, "hi": 1, "lo_open": True}, "train.images=0.0 must be in (0, 1]"),
        (-3, {"lo": 0, "hint": " (0: off)"}, "train.images=-3 must be >= 0 (0: off)"),
        (math.nan, {"lo": 0}, "train.images=nan must be a finite number"),
        (math.inf, {"hi": 1}, "train.images=inf must be a finite number"),
    ],
)
def test_number_names_the_bound_that_was_crossed(value, kwargs, message):
    assert _message(lambda: number(value, "train.images", **kwargs)) == message


def test_number_accepts_the_bounds_themselves_unless_open():
    number(1, "k", lo=1, hi=1)
    number(0.5, "k", lo=0, hi=1, lo_open=True, hi_open=True)
    number(10**12, "k", lo=1)  # no upper bound
    with pytest.raises(GanforgeError):
        number(0, "k", lo=0, lo_open=True)


def test_seeds_stay_in_int64_after_deriving_others():
    # The sampler seeds epochs with seed * 1_000_003 + epoch: the largest seed must not overflow.
    assert (SEED_LIMIT - 1) * 1_000_003 + 10**9 < 2**63
