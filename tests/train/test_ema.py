"""train/ema.py: the EMA copy of a generator, ema <- ema + (1 - beta) (src - ema), buffers copied."""

import pytest
import torch
from torch import nn

from ganforge.train.ema import EMA


def _net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))


def _step(net: nn.Module) -> None:
    """Change every parameter and the batch-norm statistics, as a training step would."""
    with torch.no_grad():
        for p in net.parameters():
            p.add_(torch.randn_like(p))
    net.train()(torch.randn(8, 3))  # updates running_mean / running_var / num_batches_tracked


@pytest.mark.parametrize("beta", [0.9, torch.tensor(0.75)])
def test_update_is_the_closed_form_and_buffers_are_copied(beta):
    src = _net()
    ema = EMA(src)
    _step(src)
    before = [p.clone() for p in ema.model.parameters()]
    ema.update(beta)
    b = float(beta)
    for old, new, s in zip(before, ema.model.parameters(), src.parameters()):
        torch.testing.assert_close(new, old + (1 - b) * (s - old), rtol=0, atol=1e-6)
        assert not torch.equal(new, s)  # averaged, not copied
    for mine, theirs in zip(ema.model.buffers(), src.buffers()):
        assert torch.equal(mine, theirs)  # statistics are copied, not averaged
    assert int(ema.model[1].num_batches_tracked) == 1


def test_the_copy_is_independent_frozen_and_in_eval_mode():
    src = _net().train()
    ema = EMA(src)
    assert not ema.model.training and src.training
    assert not any(p.requires_grad for p in ema.model.parameters())
    assert all(p.requires_grad for p in src.parameters())
    for mine, theirs in zip(ema.model.parameters(), src.parameters()):
        assert torch.equal(mine, theirs) and mine.data_ptr() != theirs.data_ptr()
    _step(src)
    ema.update(1.0)  # beta = 1: the average does not move
    assert not torch.equal(next(ema.model.parameters()), next(src.parameters()))
    ema.update(0.0)  # beta = 0: the average is the source
    for mine, theirs in zip(ema.model.parameters(), src.parameters()):
        torch.testing.assert_close(mine, theirs, rtol=0, atol=1e-6)


def test_repeated_updates_converge_geometrically():
    src = _net()
    ema = EMA(src)
    start = [p.clone() for p in ema.model.parameters()]
    with torch.no_grad():
        for p in src.parameters():
            p.add_(1.0)
    for _ in range(3):
        ema.update(0.5)
    # After k updates towards a fixed target the remaining gap is beta^k of the first one.
    for s0, e, s in zip(start, ema.model.parameters(), src.parameters()):
        torch.testing.assert_close(s - e, (s - s0) * 0.125, rtol=0, atol=1e-6)
