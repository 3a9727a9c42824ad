"""metrics/r_precision.py: top-1 among 100 captions, distractors of other text only."""

import pytest
import torch

from ganforge.metrics.r_precision import r_precision


def test_perfect_random_and_ties():
    n = 300
    key = torch.arange(n)
    assert r_precision(torch.eye(n), key) == 1.0
    sim = torch.rand(n, n, generator=torch.Generator().manual_seed(0))
    assert 0.0 <= r_precision(sim, key) < 0.05  # chance is 1 %
    # An identical caption string is never a distractor: its tie cannot count against it.
    dup = key.clone()
    dup[1] = dup[0]
    same = torch.eye(n)
    same[0, 1] = 1.0
    assert r_precision(same, dup) == 1.0
    with pytest.raises(ValueError, match="99 differing"):
        r_precision(torch.eye(50), torch.arange(50))
