"""tasks/weights.py: picking a network's weights out of a checkpoint state, as untrusted input."""

import pytest
import torch
from torch import nn

from ganforge.errors import GanforgeError
from ganforge.tasks.weights import load_weights, pick_weights

TRAINED = {"w": torch.zeros(1)}
AVERAGED = {"w": torch.ones(1)}


def test_the_ema_copy_is_preferred_when_asked_for_and_kept():
    state = {"nets": {"G": TRAINED, "D": {}}, "ema": {"G": AVERAGED}}
    assert pick_weights(state, "G", ema=True) == (AVERAGED, True)
    assert pick_weights(state, "G", ema=False) == (TRAINED, False)
    assert pick_weights(state, "D", ema=True) == ({}, False)  # D has no EMA copy: the trained one
    # An EMA entry that is not a state dict (a damaged file) falls back to the trained weights.
    assert pick_weights({"nets": {"G": TRAINED}, "ema": {"G": 3}}, "G", True) == (TRAINED, False)
    assert pick_weights({"nets": {"G": TRAINED}, "ema": []}, "G", True) == (TRAINED, False)


@pytest.mark.parametrize("state", [{}, {"nets": {}}, {"nets": {"G": [1]}}, {"nets": "G"}])
def test_missing_weights_are_one_line(state):
    with pytest.raises(GanforgeError, match="^the checkpoint holds no weights of network G$"):
        pick_weights(state, "G", ema=True)


def test_a_mismatch_is_one_line_naming_the_network():
    net = nn.Linear(3, 2)
    load_weights(net, {"weight": torch.ones(2, 3), "bias": torch.zeros(2)}, "the generator")
    assert torch.equal(net.weight, torch.ones(2, 3))
    bad = [
        {"weight": torch.ones(4, 3), "bias": torch.zeros(2)},  # another shape
        {"weight": torch.ones(2, 3)},  # a missing key
        {"weight": "not a tensor", "bias": torch.zeros(2)},
    ]
    for weights in bad:
        with pytest.raises(GanforgeError) as e:
            load_weights(net, weights, "generator F")
        message = str(e.value)
        assert "\n" not in message and len(message) < 400
        assert message.startswith("the checkpoint's generator F does not match the model")
        assert message.endswith("was the config edited after training?")
