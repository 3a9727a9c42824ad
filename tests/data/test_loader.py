"""data/loader.py: IndexSampler (the data order as a pure function of seed and epoch) and the
uint8 -> model range conversion."""

import pytest
import torch

from ganforge.data.loader import IndexSampler, to_model_range


def _epochs(sampler: IndexSampler, batches: int) -> list[torch.Tensor]:
    return [sampler.next() for _ in range(batches)]


def test_each_epoch_is_a_permutation_seeded_by_seed_and_epoch():
    s = IndexSampler(10, 3, seed=7)
    batches = _epochs(s, 6)  # 3 full batches per epoch, the tail of 1 dropped
    first, second = torch.cat(batches[:3]), torch.cat(batches[3:])
    for epoch, drawn in enumerate((first, second)):
        g = torch.Generator().manual_seed(7 * 1_000_003 + epoch)
        assert torch.equal(drawn, torch.randperm(10, generator=g)[:9])
    assert len(set(first.tolist())) == 9 and not torch.equal(first, second)
    assert s.epoch == 1 and s.cursor == 9


def test_the_order_depends_on_the_seed_only():
    a = torch.cat(_epochs(IndexSampler(50, 5, seed=1), 20))
    assert torch.equal(a, torch.cat(_epochs(IndexSampler(50, 5, seed=1), 20)))
    assert not torch.equal(a, torch.cat(_epochs(IndexSampler(50, 5, seed=2), 20)))
    # The batch size cuts the same permutation differently, it does not redraw it.
    assert torch.equal(a[:50], torch.cat(_epochs(IndexSampler(50, 10, seed=1), 5)))


def test_a_batch_never_straddles_two_epochs():
    s = IndexSampler(7, 3, seed=0)
    seen_epochs = []
    for _ in range(9):
        idx = s.next()
        assert idx.shape == (3,)  # every batch has the same shape
        seen_epochs.append(s.epoch)
        assert len(set(idx.tolist())) == 3  # no index twice: one epoch's permutation
    assert seen_epochs == [0, 0, 1, 1, 2, 2, 3, 3, 4]
    assert IndexSampler(4, 4).next().sort().values.tolist() == [0, 1, 2, 3]  # batch = data


def test_state_dict_round_trip_resumes_the_same_stream():
    a = IndexSampler(23, 4, seed=3)
    _epochs(a, 9)  # into the second epoch
    state = a.state_dict()
    assert state == {"epoch": 1, "cursor": 16, "n": 23, "seed": 3}
    b = IndexSampler(23, 4, seed=3)
    b.load_state_dict(state)
    assert all(torch.equal(x, y) for x, y in zip(_epochs(a, 12), _epochs(b, 12)))
    with pytest.raises(ValueError, match="the data set has 24 items, the checkpoint saw 23"):
        IndexSampler(24, 4, seed=3).load_state_dict(state)


def test_batch_larger_than_the_data_is_refused():
    with pytest.raises(ValueError, match="batch size 9 is larger than the data set \\(8 items\\)"):
        IndexSampler(8, 9)


def test_to_model_range_maps_0_255_onto_minus_1_1():
    x = torch.tensor([0, 127, 128, 255], dtype=torch.uint8)
    y = to_model_range(x)
    assert y.dtype == torch.float32 and y[0] == -1 and y[-1] == 1
    torch.testing.assert_close(y, x.float() / 127.5 - 1)
    assert x.tolist() == [0, 127, 128, 255]  # the input is not modified in place
